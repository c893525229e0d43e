#include "invoices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "auth.h"
#include "handler.h"
#include "hook_routes.h"
#include "idempotency.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "metadata.h"
#include "metrics.h"
#include "rows.h"
#include "dest.h"
#include "instructions.h"
#include "payments.h"
#include "refunds.h"
#include "statements.h"

/* Reads an optional integral JSON number within lo..hi; *out keeps its value
 * when absent. Returns 0, or -1 after answering 400. */
static int
invoices_opt_int(struct http_ctx *c, const cJSON *obj, const char *key, int64_t lo, int64_t hi,
                 int64_t *out)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (v == NULL || cJSON_IsNull(v))
                return 0;
        char err[128];
        int64_t x = 0;
        if (amount_from_json(v, 0, &x, err, sizeof(err)) != 0 || x < lo || x > hi) {
                http_error(c, 400, "invalid_field", "%s must be an integer from %lld to %lld", key,
                           (long long)lo, (long long)hi);
                return -1;
        }
        *out = x;
        return 0;
}

/* payment_methods: absent means every method the store can take; each one
 * asked for must be configured. Returns 0, or -1 after answering. */
static int
invoices_methods(struct http_ctx *c, const struct config_store *store, const cJSON *body,
                 unsigned *methods)
{
        unsigned avail = instructions_available(store);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "payment_methods");
        if (m == NULL || cJSON_IsNull(m)) {
                *methods = avail;
                return 0;
        }
        if (!cJSON_IsArray(m)) {
                http_error(c, 400, "invalid_field",
                           "payment_methods must be an array of \"lightning\" and \"onchain\"");
                return -1;
        }
        *methods = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, m)
        {
                unsigned bit = 0;
                if (cJSON_IsString(it) && strcmp(it->valuestring, "lightning") == 0)
                        bit = INSTRUCTIONS_LIGHTNING;
                else if (cJSON_IsString(it) && strcmp(it->valuestring, "onchain") == 0)
                        bit = INSTRUCTIONS_ONCHAIN;
                if (bit == 0) {
                        http_error(c, 400, "invalid_field",
                                   "payment_methods: each item is \"lightning\" or \"onchain\"");
                        return -1;
                }
                if (!(avail & bit)) {
                        http_error(c, 422, "payment_method_unavailable",
                                   "store %s has no [stores.%s] backend to receive %s payments",
                                   store->id,
                                   bit == INSTRUCTIONS_LIGHTNING ? "lightning" : "bitcoin",
                                   it->valuestring);
                        return -1;
                }
                *methods |= bit;
        }
        return 0;
}

/* refund_destination: where a refund without destination goes; checked now
 * for the store's network so a typo is caught while the payer is there. */
static int
invoices_refund_destination(struct http_ctx *c, const struct config_store *store, const cJSON *body,
                            const char **out)
{
        int bad = 0;
        *out = handler_opt_string(c, body, "refund_destination", REFUND_DESTINATION_MAX, &bad);
        if (bad || *out == NULL)
                return bad ? -1 : 0;
        enum dest_network net;
        struct dest d;
        char err[160];
        if (dest_network_parse(store->network, &net) != 0 ||
            dest_parse(*out, net, &d, err, sizeof(err)) != 0) {
                http_error(c, 400, "invalid_destination", "refund_destination: %s", err);
                return -1;
        }
        return 0;
}

/* Synchronous: the backends are asked for payment instructions first, then
 * the invoice is written with them (an address or Lightning invoice left
 * unused by a failed insert costs nothing and is never handed out again).
 * With an Idempotency-Key, a replay is answered before the backends are
 * asked, and the insert and the stored response share a transaction. */
void
invoices_create(struct http_ctx *c)
{
        static const char *const fields[] = {
            "amount_sats",     "description",        "metadata",         "expiry_seconds",
            "payment_methods", "refund_destination", "notification_url", NULL};
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_INVOICE);
        struct idem idem;
        if (role == AUTH_ROLE_NONE || idempotency_from_request(c, store->id, role, &idem) != 0)
                return;
        cJSON *body = handler_body_object(c, fields, 0);
        if (body == NULL)
                return;
        char err[400], amount[24], expiry[24], id[ID_MAX];
        int64_t amount_sats = 0, expiry_seconds = INVOICE_EXPIRY_DEFAULT;
        int bad = 0;
        unsigned methods = 0;
        const char *refund_dest = NULL;
        struct instructions ins = {0};
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "amount_sats");
        const char *description = handler_opt_string(c, body, "description", 1000, &bad);
        char *metadata_text = NULL;
        if (bad)
                goto out;
        if (a == NULL) {
                http_error(c, 400, "missing_field", "amount_sats is required");
                goto out;
        }
        if (amount_from_json(a, 1, &amount_sats, err, sizeof(err)) != 0) {
                http_error(c, 400, "invalid_amount", "amount_sats %s", err);
                goto out;
        }
        const char *notify = handler_opt_string(c, body, "notification_url", 2048, &bad);
        if (bad)
                goto out;
        if (notify != NULL && hook_routes_url_check(store, notify, err, sizeof(err)) != 0) {
                http_error(c, 422, "invalid_notification_url", "%s", err);
                goto out;
        }
        if (invoices_opt_int(c, body, "expiry_seconds", INVOICE_EXPIRY_MIN, INVOICE_EXPIRY_MAX,
                             &expiry_seconds) != 0 ||
            metadata_from_body(c, body, &metadata_text) != 0 ||
            invoices_methods(c, store, body, &methods) != 0 ||
            invoices_refund_destination(c, store, body, &refund_dest) != 0)
                goto out;
        struct db *db = handler_db(c);
        if (db == NULL || (idem.key != NULL && idempotency_resolve(c, db, &idem) == 0))
                goto out;
        ids_new(id, "inv_");
        int status = 0;
        const char *code = NULL;
        if (methods != 0 &&
            instructions_make(c->cfg, store, id, amount_sats, description, expiry_seconds, methods,
                              &ins, &status, &code, err, sizeof(err)) != 0) {
                log_warn("invoice instructions failed", "request_id", c->request_id, "store",
                         store->id, "code", code, "error", err);
                http_error(c, status, code, "%s", err);
                goto out;
        }
        snprintf(amount, sizeof(amount), "%lld", (long long)amount_sats);
        snprintf(expiry, sizeof(expiry), "%lld", (long long)expiry_seconds);
        const char *p[] = {id,          store->id,     amount,
                           description, metadata_text, expiry,
                           refund_dest, ins.bolt11,    ins.bolt11 ? ins.payment_hash : NULL,
                           ins.address, ins.bip21,     notify};
        if (idem.key != NULL && idempotency_begin(c, db, &idem) != 0)
                goto out;
        PGresult *r = handler_exec(c, db, STMT_INVOICE_INSERT, 12, p);
        if (r != NULL && idem.key != NULL &&
            (idempotency_store(c, db, &idem, 201, PQgetvalue(r, 0, 0), id) != 0 ||
             handler_commit(c, db) != 0)) {
                PQclear(r);
                r = NULL;
        }
        if (r != NULL) {
                log_info("invoice created", "request_id", c->request_id, "store", store->id,
                         "invoice", id, "amount_sats", amount, "lightning",
                         ins.bolt11 ? "yes" : "no", "onchain", ins.address ? "yes" : "no");
                http_reply_text(c, 201, PQgetvalue(r, 0, 0));
                PQclear(r);
        }
out:
        instructions_free(&ins);
        free(metadata_text);
        cJSON_Delete(body);
}

/* Asynchronous: the read goes down the worker's pipelined connection. */
void
invoices_get(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_INVOICE) == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "inv_", "invoice");
        if (id == NULL)
                return;
        static const struct handler_get spec = {STMT_INVOICE_GET, NULL, "invoice_not_found",
                                                "invoice"};
        handler_get_one(c, &spec);
}

/* One transaction records the payment, reads the invoice back and stores it
 * as the Idempotency-Key's response; an automatic overpayment refund is made
 * after the commit, as the receiver makes it (payments_observe). */
void
invoices_mark_paid(struct http_ctx *c)
{
        static const char *const fields[] = {"amount_sats", NULL};
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_MARK_PAID);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "inv_", "invoice");
        struct idem idem;
        if (id == NULL || idempotency_from_request(c, store->id, role, &idem) != 0)
                return;
        cJSON *body = handler_body_object(c, fields, 0);
        if (body == NULL)
                return;
        char err[160], amount[24], ref[ID_MAX];
        int64_t amount_sats = 0;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "amount_sats");
        if (a == NULL || amount_from_json(a, 1, &amount_sats, err, sizeof(err)) != 0) {
                http_error(c, 400, a ? "invalid_amount" : "missing_field", "amount_sats %s",
                           a ? err : "is required");
                cJSON_Delete(body);
                return;
        }
        cJSON_Delete(body);
        struct db *db = handler_db(c);
        if (db == NULL || idempotency_begin(c, db, &idem) != 0)
                return;
        ids_new(ref, "manual_");
        char detail[160];
        snprintf(detail, sizeof(detail), "{\"request_id\":\"%s\",\"role\":\"%s\"}", c->request_id,
                 auth_role_name(role));
        struct payment_obs o = {.store = store->id,
                                .invoice = id,
                                .method = "manual",
                                .reference = ref,
                                .amount_sats = amount_sats,
                                .confirmations = 0,
                                .state = "credited",
                                .actor = "admin",
                                .detail = detail};
        struct payment_result res;
        enum db_err derr = DB_OK;
        if (payments_record(db, &o, &res, &derr) != 0) {
                /* Each amount is in range, but their sum must be too. */
                if (derr == DB_ERR_CHECK &&
                    strcmp(db->last_constraint, "invoices_amount_paid_sats_check") == 0) {
                        db_rollback(db);
                        http_error(c, 400, "invalid_amount",
                                   "amount_sats: the payments of invoice %s would total more than "
                                   "21000000 BTC",
                                   id);
                        return;
                }
                handler_db_error(c, db, derr);
                return;
        }
        if (!res.found) {
                handler_fail(c, db, 404, "invoice_not_found",
                             "invoice %s does not exist in store %s", id, store->id);
                payments_result_free(&res);
                return;
        }
        const char *pg[] = {store->id, id};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_GET, 2, pg);
        if (r == NULL || idempotency_store(c, db, &idem, 200, PQgetvalue(r, 0, 0), id) != 0 ||
            handler_commit(c, db) != 0) {
                PQclear(r);
                payments_result_free(&res);
                return;
        }
        metrics_count_payment("manual", "credited");
        snprintf(amount, sizeof(amount), "%lld", (long long)amount_sats);
        log_info("invoice marked paid", "request_id", c->request_id, "store", store->id, "invoice",
                 id, "amount_sats", amount, "role", auth_role_name(role), "reference", ref,
                 "status", res.status);
        payments_auto_refund(db, store, id, &res);
        payments_result_free(&res);
        http_reply_text(c, 200, PQgetvalue(r, 0, 0));
        PQclear(r);
}

/* The invoice's audit trail: payments seen, credited, removed; status changes. */
void
invoices_events(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_INVOICE) == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "inv_", "invoice");
        struct db *db = id ? handler_db(c) : NULL;
        if (db == NULL)
                return;
        const char *p[] = {store->id, id};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_REFUND_DEST, 2, p);
        if (r == NULL)
                return;
        int found = PQntuples(r) == 1;
        PQclear(r);
        if (!found) {
                http_error(c, 404, "invoice_not_found", "invoice %s does not exist in store %s", id,
                           store->id);
                return;
        }
        if ((r = handler_exec(c, db, STMT_INVOICE_EVENTS, 2, p)) == NULL)
                return;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "invoice_id", id);
        cJSON_AddItemToObject(o, "data", rows_events(r));
        PQclear(r);
        http_reply_json(c, 200, o);
}
