#include "invoices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "auth.h"
#include "handler.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "rows.h"
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

void
invoices_create(struct http_ctx *c)
{
        static const char *const fields[] = {"amount_sats", "description", "metadata",
                                             "expiry_seconds", NULL};
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_INVOICE) == AUTH_ROLE_NONE)
                return;
        cJSON *body = json_body_object(c, fields, 0);
        if (body == NULL)
                return;
        char err[160], amount[24], expiry[24], id[ID_MAX];
        int64_t amount_sats = 0, expiry_seconds = INVOICE_EXPIRY_DEFAULT;
        int bad = 0;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "amount_sats");
        const char *description = json_opt_string(c, body, "description", 1000, &bad);
        const cJSON *metadata = cJSON_GetObjectItemCaseSensitive(body, "metadata");
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
        if (invoices_opt_int(c, body, "expiry_seconds", INVOICE_EXPIRY_MIN, INVOICE_EXPIRY_MAX,
                             &expiry_seconds) != 0)
                goto out;
        if (metadata != NULL && !cJSON_IsNull(metadata)) {
                if (!cJSON_IsObject(metadata)) {
                        http_error(c, 400, "invalid_field", "metadata must be a JSON object");
                        goto out;
                }
                /* Store the bytes the merchant sent: cJSON's doubles would
                 * round integers past 2^53 in their metadata. */
                size_t blen = 0, off = 0, vlen = 0;
                char *raw = http_body(c, &blen);
                if (raw == NULL)
                        goto out;
                if (json_raw_member(raw, blen, "metadata", &off, &vlen) == 0) {
                        memmove(raw, raw + off, vlen);
                        raw[vlen] = '\0';
                        metadata_text = raw;
                } else {
                        free(raw);
                        metadata_text = cJSON_PrintUnformatted(metadata);
                }
                if (metadata_text == NULL || strlen(metadata_text) > 8192) {
                        http_error(c, 400, "invalid_field", "metadata is larger than 8192 bytes");
                        goto out;
                }
        }
        struct db *db = handler_db(c);
        if (db == NULL)
                goto out;
        id_new(id, "inv_");
        snprintf(amount, sizeof(amount), "%lld", (long long)amount_sats);
        snprintf(expiry, sizeof(expiry), "%lld", (long long)expiry_seconds);
        const char *p[] = {id, store->id, amount, description, metadata_text, expiry};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_INSERT, 6, p);
        if (r != NULL) {
                log_info("invoice created", "request_id", c->request_id, "store", store->id,
                         "invoice", id, "amount_sats", amount);
                http_reply_json(c, 201, rows_invoice(r, 0));
                PQclear(r);
        }
out:
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
        static const struct handler_get spec = {STMT_INVOICE_GET, rows_invoice, "invoice_not_found",
                                                "invoice"};
        handler_get_one(c, &spec);
}

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
        cJSON *body = id ? json_body_object(c, fields, 0) : NULL;
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
        if (db == NULL || handler_begin(c, db) != 0)
                return;
        snprintf(amount, sizeof(amount), "%lld", (long long)amount_sats);
        id_new(ref, "manual_");
        const char *pi[] = {id, store->id, ref, amount};
        PGresult *r = handler_exec(c, db, STMT_PAYMENT_INSERT, 4, pi);
        if (r == NULL)
                return;
        int found = atoi(PQcmdTuples(r)) == 1;
        PQclear(r);
        if (!found) {
                handler_fail(c, db, 404, "invoice_not_found",
                             "invoice %s does not exist in store %s", id, store->id);
                return;
        }
        const char *pu[] = {store->id, id, amount};
        r = handler_exec(c, db, STMT_INVOICE_MARK_PAID, 3, pu);
        if (r == NULL)
                return;
        cJSON *inv = rows_invoice(r, 0);
        PQclear(r);
        if (handler_commit(c, db) != 0) {
                cJSON_Delete(inv);
                return;
        }
        log_info("invoice marked paid", "request_id", c->request_id, "store", store->id, "invoice",
                 id, "amount_sats", amount, "role", auth_role_name(role), "reference", ref);
        http_reply_json(c, 200, inv);
}
