/* Reading refunds: one, an invoice's, a store's (filtered, paginated), the
 * audit trail, and an invoice's refund summary. Every lookup is by store and
 * id together: an id from another store is simply not found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "handler.h"
#include "ids.h"
#include "json.h"
#include "listq.h"
#include "refund_reads.h"
#include "rows.h"
#include "statements.h"

/* Store, read permission and database for a read route; NULL after answering. */
static struct db *
reads_begin(struct http_ctx *c, const struct config_store **store)
{
        *store = handler_store(c);
        if (*store == NULL || auth_require(c, *store, AUTH_ADMIN) == AUTH_ROLE_NONE)
                return NULL;
        return handler_db(c);
}

/* Answers with {"data": [...], "has_more": more, "next_cursor": null} from refund_json rows. */
static void
reads_reply_list(struct http_ctx *c, const PGresult *r, int n, int more)
{
        char *text = rows_json_list(r, n, more);
        if (text == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        http_reply_text(c, 200, text);
        free(text);
}

/* Asynchronous: the read goes down the worker's pipelined connection. */
void
refund_reads_get(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_ADMIN) == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "rf_", "refund");
        if (id == NULL)
                return;
        static const struct handler_get spec = {STMT_REFUND_GET, NULL, "refund_not_found",
                                                "refund"};
        handler_get_one(c, &spec);
}

/* 404 unless the invoice exists in the store. */
static int
reads_invoice_exists(struct http_ctx *c, struct db *db, const char *store, const char *invoice)
{
        const char *p[] = {store, invoice};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_GET, 2, p);
        if (r == NULL)
                return 0;
        int found = PQntuples(r) == 1;
        PQclear(r);
        if (!found)
                http_error(c, 404, "invoice_not_found", "invoice %s does not exist in store %s",
                           invoice, store);
        return found;
}

void
refund_reads_of_invoice(struct http_ctx *c)
{
        const struct config_store *store;
        struct db *db = reads_begin(c, &store);
        const char *invoice = db ? handler_id(c, 1, "inv_", "invoice") : NULL;
        if (invoice == NULL || !reads_invoice_exists(c, db, store->id, invoice))
                return;
        const char *p[] = {store->id, invoice};
        PGresult *r = handler_exec(c, db, STMT_REFUNDS_OF_INVOICE, 2, p);
        if (r == NULL)
                return;
        reads_reply_list(c, r, PQntuples(r), 0);
        PQclear(r);
}

/* Newest first, filtered (listq.h); the cursor is next_cursor, or the
 * older starting_after=<refund id>. */
void
refund_reads_list(struct http_ctx *c)
{
        const struct config_store *store;
        struct db *db = reads_begin(c, &store);
        if (db == NULL)
                return;
        struct listq q;
        if (listq_parse(c, LISTQ_REFUNDS, 0, &q) != 0)
                goto out;
        if (q.starting_after != NULL) {
                const char *pc[] = {store->id, q.starting_after};
                PGresult *rc = handler_exec(c, db, STMT_REFUND_CURSOR, 2, pc);
                if (rc == NULL)
                        goto out;
                int found = PQntuples(rc) == 1;
                if (found) {
                        snprintf(q.cursor_ts, sizeof(q.cursor_ts), "%s", PQgetvalue(rc, 0, 0));
                        snprintf(q.cursor_id, sizeof(q.cursor_id), "%s", q.starting_after);
                }
                PQclear(rc);
                if (!found) {
                        http_error(c, 400, "invalid_query",
                                   "starting_after: refund %s does not exist in store %s",
                                   q.starting_after, store->id);
                        goto out;
                }
        }
        char lim[24];
        snprintf(lim, sizeof(lim), "%ld", q.limit + 1);
        const char *p[LISTQ_PARAMS];
        int n = listq_params(&q, store->id, q.cursor_ts, q.cursor_id, lim, p);
        PGresult *r = handler_exec(c, db, STMT_REFUNDS_LIST, n, p);
        if (r == NULL)
                goto out;
        listq_reply_page(c, r, q.limit);
        PQclear(r);
out:
        listq_free(&q);
}

void
refund_reads_events(struct http_ctx *c)
{
        const struct config_store *store;
        struct db *db = reads_begin(c, &store);
        const char *id = db ? handler_id(c, 1, "rf_", "refund") : NULL;
        if (id == NULL)
                return;
        const char *p[] = {store->id, id};
        PGresult *r = handler_exec(c, db, STMT_REFUND_GET, 2, p);
        if (r == NULL)
                return;
        int found = PQntuples(r) == 1;
        PQclear(r);
        if (!found) {
                http_error(c, 404, "refund_not_found", "refund %s does not exist in store %s", id,
                           store->id);
                return;
        }
        if ((r = handler_exec(c, db, STMT_EVENTS_LIST, 2, p)) == NULL)
                return;
        cJSON *arr = rows_events(r);
        PQclear(r);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "refund_id", id);
        cJSON_AddItemToObject(o, "data", arr);
        http_reply_json(c, 200, o);
}

void
refund_reads_summary(struct http_ctx *c)
{
        const struct config_store *store;
        struct db *db = reads_begin(c, &store);
        const char *invoice = db ? handler_id(c, 1, "inv_", "invoice") : NULL;
        if (invoice == NULL)
                return;
        char window[16];
        snprintf(window, sizeof(window), "%d", store->refund_window_days);
        /* Both reads in one snapshot, so the figures add up. */
        enum db_err err = DB_OK;
        if (db_begin(db, &err) != 0 ||
            db_exec(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", &err) != 0) {
                handler_db_error(c, db, err);
                return;
        }
        const char *pi[] = {store->id, invoice, window};
        PGresult *ri = handler_exec(c, db, STMT_INVOICE_SUMMARY, 3, pi);
        if (ri == NULL)
                return;
        if (PQntuples(ri) == 0) {
                PQclear(ri);
                handler_fail(c, db, 404, "invoice_not_found",
                             "invoice %s does not exist in store %s", invoice, store->id);
                return;
        }
        const char *ps[] = {store->id, invoice};
        PGresult *rs = handler_exec(c, db, STMT_REFUND_SUMS, 2, ps);
        if (rs == NULL) {
                PQclear(ri);
                return;
        }
        db_rollback(db);
        int64_t paid = strtoll(PQgetvalue(ri, 0, 0), NULL, 10);
        int64_t pending = strtoll(PQgetvalue(rs, 0, 0), NULL, 10);
        int64_t processing = strtoll(PQgetvalue(rs, 0, 1), NULL, 10);
        int64_t succeeded = strtoll(PQgetvalue(rs, 0, 2), NULL, 10);
        int64_t refundable = paid - pending - processing - succeeded;
        int window_open = PQgetvalue(ri, 0, 2)[0] != 't';
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "invoice_id", invoice);
        cJSON_AddStringToObject(o, "store_id", store->id);
        json_add_pg_string(o, "invoice_status", ri, 0, 1);
        json_add_i64(o, "amount_paid_sats", paid);
        json_add_i64(o, "refunded_sats", succeeded);
        json_add_i64(o, "processing_sats", processing);
        json_add_i64(o, "pending_sats", pending);
        json_add_i64(o, "refundable_sats", refundable > 0 && window_open ? refundable : 0);
        cJSON *counts = cJSON_AddObjectToObject(o, "counts");
        static const char *const names[] = {"pending", "processing", "succeeded",
                                            "failed",  "canceled",   "awaiting_destination"};
        for (int i = 0; i < 6; i++)
                json_add_pg_int(counts, names[i], rs, 0, 3 + i);
        json_add_pg_string(o, "refund_window_ends_at", ri, 0, 3);
        cJSON_AddBoolToObject(o, "refund_window_open", window_open);
        PQclear(ri);
        PQclear(rs);
        http_reply_json(c, 200, o);
}
