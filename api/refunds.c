/* POST /v1/stores/{store}/invoices/{id}/refunds: one transaction that claims
 * the Idempotency-Key, locks the invoice, checks the refundable balance and
 * the window, inserts the refund and its first event. The invoice row lock is
 * what makes over-refunding impossible under any interleaving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amount.h"
#include "auth.h"
#include "dest.h"
#include "handler.h"
#include "idempotency.h"
#include "json.h"
#include "log.h"
#include "refunds.h"
#include "rows.h"
#include "statements.h"

/* What the request asks for, validated before any database work. */
struct refund_request {
        int64_t amount_sats;
        const char *destination; /* borrowed from the parsed body */
        const char *reason;
        struct dest dest;
        const char *backend;   /* "lightning" or "bitcoin" */
        const char *approval;  /* "not_required" or "required" */
        const char *execution; /* "auto" or "manual" */
        char execution_reason[200];
};

static int
refund_request_parse(struct http_ctx *c, const struct config_store *store, const cJSON *body,
                     struct refund_request *rq)
{
        char err[200];
        int bad = 0;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "amount_sats");
        if (a == NULL) {
                http_error(c, 400, "missing_field", "amount_sats is required");
                return -1;
        }
        if (amount_from_json(a, 1, &rq->amount_sats, err, sizeof(err)) != 0) {
                http_error(c, 400, "invalid_amount", "amount_sats %s", err);
                return -1;
        }
        rq->destination = json_opt_string(c, body, "destination", REFUND_DESTINATION_MAX, &bad);
        rq->reason = bad ? NULL : json_opt_string(c, body, "reason", REFUND_REASON_MAX, &bad);
        if (bad)
                return -1;
        if (rq->destination == NULL) {
                http_error(c, 400, "missing_field", "destination is required");
                return -1;
        }
        enum dest_network net;
        if (dest_network_parse(store->network, &net) != 0) {
                http_error(c, 500, "internal", "store %s has an unknown network", store->id);
                return -1;
        }
        if (dest_parse(rq->destination, net, &rq->dest, err, sizeof(err)) != 0) {
                http_error(c, 400, "invalid_destination", "destination: %s", err);
                return -1;
        }
        if (rq->dest.type == DEST_BOLT11) {
                if (rq->dest.has_amount && rq->dest.amount_msat != rq->amount_sats * 1000) {
                        http_error(c, 400, "destination_amount_mismatch",
                                   "the bolt11 invoice asks for %lld msat; the refund is %lld sat",
                                   (long long)rq->dest.amount_msat, (long long)rq->amount_sats);
                        return -1;
                }
                if (rq->dest.expires_at <= (int64_t)time(NULL)) {
                        http_error(c, 400, "destination_expired",
                                   "the bolt11 invoice expired; ask the payer for a new one");
                        return -1;
                }
        }
        int lightning = dest_type_is_lightning(rq->dest.type);
        rq->backend = lightning ? "lightning" : "bitcoin";
        const struct config_refunds *pol =
            lightning ? &store->lightning_payout.refunds : &store->bitcoin_payout.refunds;
        rq->approval = pol->present && pol->manual_approval_threshold_sats >= 0 &&
                               rq->amount_sats > pol->manual_approval_threshold_sats
                           ? "required"
                           : "not_required";
        rq->execution = "auto";
        rq->execution_reason[0] = '\0';
        if (!pol->present || !pol->enabled) {
                rq->execution = "manual";
                snprintf(rq->execution_reason, sizeof(rq->execution_reason),
                         "refund execution is disabled for %s payouts of store %s: pay it by "
                         "hand, then finalize",
                         rq->backend, store->id);
        } else if (pol->max_refund_sats >= 0 && rq->amount_sats > pol->max_refund_sats) {
                rq->execution = "manual";
                snprintf(rq->execution_reason, sizeof(rq->execution_reason),
                         "amount exceeds max_refund_sats (%lld) of %s payouts: the executor will "
                         "not pay it; pay it by hand, then finalize",
                         (long long)pol->max_refund_sats, rq->backend);
        }
        return 0;
}

/* Same key, same invoice, but the idempotency record was pruned: the refund
 * itself remembers its key, so answer with it rather than pay twice. */
static int
refund_existing_for_key(struct http_ctx *c, struct db *db, const char *store, const char *invoice,
                        const struct idem *idem, const struct refund_request *rq)
{
        if (idem->key == NULL)
                return 0;
        const char *p[] = {store, invoice, idem->key};
        PGresult *r = handler_exec(c, db, STMT_REFUND_BY_KEY, 3, p);
        if (r == NULL)
                return -1;
        if (PQntuples(r) == 0) {
                PQclear(r);
                return 0;
        }
        int same = strtoll(PQgetvalue(r, 0, RF_AMOUNT), NULL, 10) == rq->amount_sats &&
                   strcmp(PQgetvalue(r, 0, RF_DEST), rq->destination) == 0;
        cJSON *obj = same ? rows_refund(r, 0) : NULL;
        PQclear(r);
        db_rollback(db);
        if (same)
                http_reply_json(c, 200, obj);
        else
                http_error(c, 422, "idempotency_key_reused",
                           "Idempotency-Key '%.64s' already created a different refund for this "
                           "invoice",
                           idem->key);
        return -1;
}

/* Locks the invoice and checks it can take this refund. 0 or -1 answered. */
static int
refund_check_invoice(struct http_ctx *c, struct db *db, const struct config_store *store,
                     const char *invoice, int64_t amount)
{
        char window[16];
        snprintf(window, sizeof(window), "%d", store->refund_window_days);
        const char *p[] = {store->id, invoice, window};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_LOCK, 3, p);
        if (r == NULL)
                return -1;
        if (PQntuples(r) == 0) {
                PQclear(r);
                handler_fail(c, db, 404, "invoice_not_found",
                             "invoice %s does not exist in store %s", invoice, store->id);
                return -1;
        }
        int64_t paid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        int expired = PQgetvalue(r, 0, 2)[0] == 't';
        char ends[40];
        snprintf(ends, sizeof(ends), "%s", PQgetvalue(r, 0, 3));
        PQclear(r);
        if (paid == 0) {
                handler_fail(c, db, 422, "invoice_not_paid", "invoice %s has no payment to refund",
                             invoice);
                return -1;
        }
        if (expired) {
                handler_fail(c, db, 422, "refund_window_expired",
                             "the refund window of invoice %s ended at %s (%d days after its "
                             "first payment)",
                             invoice, ends, store->refund_window_days);
                return -1;
        }
        const char *ps[] = {store->id, invoice};
        r = handler_exec(c, db, STMT_REFUND_SUMS, 2, ps);
        if (r == NULL)
                return -1;
        int64_t committed = strtoll(PQgetvalue(r, 0, 0), NULL, 10) +
                            strtoll(PQgetvalue(r, 0, 1), NULL, 10) +
                            strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        PQclear(r);
        int64_t refundable = paid - committed;
        if (refundable <= 0) {
                handler_fail(c, db, 422, "already_fully_refunded",
                             "invoice %s is fully refunded: %lld sat paid, %lld sat refunded or "
                             "in progress",
                             invoice, (long long)paid, (long long)committed);
                return -1;
        }
        if (amount > refundable) {
                handler_fail(c, db, 422, "insufficient_refundable_balance",
                             "refund of %lld sat exceeds the refundable balance of invoice %s "
                             "(%lld sat)",
                             (long long)amount, invoice, (long long)refundable);
                return -1;
        }
        return 0;
}

static char *
refund_event_detail(const struct refund_request *rq, const char *request_id)
{
        cJSON *d = cJSON_CreateObject();
        json_add_i64(d, "amount_sats", rq->amount_sats);
        cJSON_AddStringToObject(d, "destination_type", dest_type_name(rq->dest.type));
        cJSON_AddStringToObject(d, "approval_status", rq->approval);
        cJSON_AddStringToObject(d, "execution", rq->execution);
        if (rq->execution_reason[0])
                cJSON_AddStringToObject(d, "execution_reason", rq->execution_reason);
        cJSON_AddStringToObject(d, "request_id", request_id);
        char *text = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        return text;
}

void
refunds_create(struct http_ctx *c)
{
        static const char *const fields[] = {"amount_sats", "destination", "reason", NULL};
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_PAYOUT);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *invoice = handler_id(c, 1, "inv_", "invoice");
        struct idem idem;
        if (invoice == NULL || idem_from_request(c, store->id, role, &idem) != 0)
                return;
        cJSON *body = json_body_object(c, fields, 0);
        if (body == NULL)
                return;
        struct refund_request rq = {0};
        char *detail = NULL, *text = NULL;
        struct db *db = NULL;
        if (refund_request_parse(c, store, body, &rq) != 0 || (db = handler_db(c)) == NULL ||
            handler_begin(c, db) != 0 || !idem_claim(c, db, &idem) ||
            refund_existing_for_key(c, db, store->id, invoice, &idem, &rq) != 0 ||
            refund_check_invoice(c, db, store, invoice, rq.amount_sats) != 0)
                goto out;

        char id[ID_MAX], amount[24];
        id_new(id, "rf_");
        snprintf(amount, sizeof(amount), "%lld", (long long)rq.amount_sats);
        detail = refund_event_detail(&rq, c->request_id);
        const char *pi[] = {id,
                            store->id,
                            invoice,
                            amount,
                            rq.destination,
                            dest_type_name(rq.dest.type),
                            rq.backend,
                            rq.reason,
                            rq.approval,
                            idem.key,
                            rq.execution,
                            rq.execution_reason[0] ? rq.execution_reason : NULL,
                            auth_role_name(role),
                            detail};
        PGresult *r = handler_exec(c, db, STMT_REFUND_INSERT, 14, pi);
        if (r == NULL)
                goto out;
        cJSON *obj = rows_refund(r, 0);
        PQclear(r);
        text = cJSON_PrintUnformatted(obj);
        cJSON_Delete(obj);
        if (idem_record(c, db, &idem, 201, text, id) != 0 || handler_commit(c, db) != 0)
                goto out;
        log_info("refund created", "request_id", c->request_id, "store", store->id, "invoice",
                 invoice, "refund", id, "amount_sats", amount, "backend", rq.backend, "approval",
                 rq.approval, "execution", rq.execution, "role", auth_role_name(role));
        http_reply_text(c, 201, text);
out:
        free(detail);
        free(text);
        cJSON_Delete(body);
}
