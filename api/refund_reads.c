/* Reading refunds: one, an invoice's, a store's (filtered, paginated), the
 * audit trail, and an invoice's refund summary. Every lookup is by store and
 * id together: an id from another store is simply not found. */
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "handler.h"
#include "ids.h"
#include "json.h"
#include "refund_reads.h"
#include "rows.h"
#include "statements.h"

#define LIST_DEFAULT 20
#define LIST_MAX     100

/* Store, read permission and database for a read route; NULL after answering. */
static struct db *
reads_begin(struct http_ctx *c, const struct config_store **store)
{
        *store = handler_store(c);
        if (*store == NULL || auth_require(c, *store, AUTH_ADMIN) == AUTH_ROLE_NONE)
                return NULL;
        return handler_db(c);
}

/* Answers with {"data": [...], "has_more": more} from refund_json rows. */
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

static int
reads_status_valid(const char *s)
{
        static const char *const statuses[] = {"pending", "processing", "succeeded", "failed",
                                               "canceled"};
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
                if (strcmp(s, statuses[i]) == 0)
                        return 1;
        return 0;
}

void
refund_reads_list(struct http_ctx *c)
{
        const struct config_store *store;
        struct db *db = reads_begin(c, &store);
        if (db == NULL)
                return;
        struct evkeyvalq q;
        TAILQ_INIT(&q);
        const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
        if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
                http_error(c, 400, "invalid_query", "the query string cannot be parsed");
                return;
        }
        const char *status = NULL, *cursor = NULL;
        long limit = LIST_DEFAULT;
        for (struct evkeyval *kv = q.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
                if (strcmp(kv->key, "status") == 0 && reads_status_valid(kv->value)) {
                        status = kv->value;
                } else if (strcmp(kv->key, "limit") == 0) {
                        char *end = NULL;
                        limit = strtol(kv->value, &end, 10);
                        if (end == kv->value || *end != '\0' || limit < 1 || limit > LIST_MAX) {
                                http_error(c, 400, "invalid_query",
                                           "limit must be an integer from 1 to %d", LIST_MAX);
                                goto out;
                        }
                } else if (strcmp(kv->key, "starting_after") == 0 && ids_valid(kv->value, "rf_")) {
                        cursor = kv->value;
                } else {
                        http_error(c, 400, "invalid_query",
                                   "query parameter %.32s=%.64s is not "
                                   "valid (status, limit, starting_after)",
                                   kv->key, kv->value);
                        goto out;
                }
        }
        if (cursor != NULL) {
                const char *pc[] = {store->id, cursor};
                PGresult *rc = handler_exec(c, db, STMT_REFUND_GET, 2, pc);
                if (rc == NULL)
                        goto out;
                int found = PQntuples(rc) == 1;
                PQclear(rc);
                if (!found) {
                        http_error(c, 400, "invalid_query",
                                   "starting_after: refund %s does not exist in store %s", cursor,
                                   store->id);
                        goto out;
                }
        }
        char lim[16];
        snprintf(lim, sizeof(lim), "%ld", limit + 1);
        const char *p[] = {store->id, status, cursor, lim};
        PGresult *r = handler_exec(c, db, STMT_REFUNDS_LIST, 4, p);
        if (r == NULL)
                goto out;
        int n = PQntuples(r);
        int more = n > limit;
        reads_reply_list(c, r, more ? (int)limit : n, more);
        PQclear(r);
out:
        evhttp_clear_headers(&q);
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
        static const char *const names[] = {"pending", "processing", "succeeded", "failed",
                                            "canceled"};
        for (int i = 0; i < 5; i++)
                json_add_pg_int(counts, names[i], rs, 0, 3 + i);
        json_add_pg_string(o, "refund_window_ends_at", ri, 0, 3);
        cJSON_AddBoolToObject(o, "refund_window_open", window_open);
        PQclear(ri);
        PQclear(rs);
        http_reply_json(c, 200, o);
}
