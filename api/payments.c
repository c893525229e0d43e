#include "payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "refund_plan.h"
#include "statements.h"

int
payments_record(struct db *db, const struct payment_obs *o, struct payment_result *out,
                enum db_err *err)
{
        memset(out, 0, sizeof(*out));
        char amount[24], conf[24];
        snprintf(amount, sizeof(amount), "%lld", (long long)o->amount_sats);
        snprintf(conf, sizeof(conf), "%ld", o->confirmations);
        const char *p[] = {o->store, o->invoice, o->method, o->reference, amount,
                           conf,     o->state,   o->actor,  o->detail};
        PGresult *r = db_exec_prepared(db, STMT_PAYMENT_RECORD, 9, p, err);
        if (r == NULL)
                return -1;
        if (PQntuples(r) == 1) {
                out->found = 1;
                out->changed = PQgetvalue(r, 0, 0)[0] == 't';
                snprintf(out->status, sizeof(out->status), "%s", PQgetvalue(r, 0, 1));
                out->amount_sats = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
                out->amount_paid_sats = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
                if (!PQgetisnull(r, 0, 4))
                        out->refund_destination = strdup(PQgetvalue(r, 0, 4));
        }
        PQclear(r);
        return 0;
}

void
payments_result_free(struct payment_result *r)
{
        free(r->refund_destination);
        r->refund_destination = NULL;
}

int
payments_auto_refund(struct db *db, const struct config_store *store, const char *invoice,
                     const struct payment_result *res)
{
        if (!store->auto_refund_overpayment || strcmp(res->status, "overpaid") != 0 ||
            res->refund_destination == NULL || res->amount_paid_sats <= res->amount_sats)
                return 0;
        struct refund_plan plan;
        int status = 0;
        const char *code = NULL;
        char msg[200];
        if (refund_plan_make(store, res->amount_paid_sats - res->amount_sats,
                             res->refund_destination, "overpayment", &plan, &status, &code, msg,
                             sizeof(msg)) != 0) {
                log_warn("automatic overpayment refund not possible", "store", store->id, "invoice",
                         invoice, "code", code, "error", msg);
                return -1;
        }
        /* The key is per invoice, and the refund keeps it for ever: a second
         * attempt, from any process, is refused by the unique constraints. */
        char key[ID_MAX + 32], id[ID_MAX], window[16], fp[65];
        snprintf(key, sizeof(key), "auto_overpayment:%s", invoice);
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
        sodium_bin2hex(fp, sizeof(fp), h, sizeof(h));
        ids_new(id, "rf_");
        snprintf(window, sizeof(window), "%d", store->refund_window_days);
        char *detail = refund_plan_detail(&plan, "auto_overpayment", false);
        /* one_in_flight stays false: nothing would retry an automatic refund
         * that one_refund_in_flight refused (sql/012). */
        struct refund_plan_row row = {.id = id,
                                      .store = store->id,
                                      .invoice = invoice,
                                      .actor = "system",
                                      .detail = detail,
                                      .window = window,
                                      .idem_key = key,
                                      .idem_role = "system",
                                      .idem_fingerprint = fp};
        const char *p[REFUND_PLAN_NPARAMS];
        refund_plan_params(&plan, &row, p);
        enum db_err err = DB_OK;
        PGresult *r = db_exec_prepared(db, STMT_REFUND_CREATE, REFUND_PLAN_NPARAMS, p, &err);
        free(detail);
        int rc = -1;
        if (r != NULL && PQntuples(r) == 1) {
                log_info("automatic overpayment refund created", "store", store->id, "invoice",
                         invoice, "refund", id, "amount_sats", row.amount, "approval",
                         plan.approval, "execution", plan.execution);
                rc = 1;
        } else if (err == DB_ERR_UNIQUE &&
                   (strcmp(db->last_constraint, "refunds_idempotency_key") == 0 ||
                    strcmp(db->last_constraint, "idempotency_keys_pkey") == 0)) {
                rc = 0; /* made before */
        } else {
                log_warn("automatic overpayment refund failed", "store", store->id, "invoice",
                         invoice, "kind", db_err_name(err), "error", db->last_error);
        }
        if (r != NULL)
                PQclear(r);
        return rc;
}

int
payments_observe(struct db *db, const struct config_store *store, const struct payment_obs *o)
{
        struct payment_result res;
        enum db_err err = DB_OK;
        if (payments_record(db, o, &res, &err) != 0) {
                log_warn("cannot record payment", "store", o->store, "invoice", o->invoice,
                         "method", o->method, "reference", o->reference, "kind", db_err_name(err),
                         "error", db->last_error);
                return -1;
        }
        if (res.changed) {
                metrics_count_payment(o->method, o->state);
                char amt[24], paid[24];
                log_info("payment recorded", "store", o->store, "invoice", o->invoice, "method",
                         o->method, "reference", o->reference, "amount_sats",
                         log_i64(amt, o->amount_sats), "state", o->state, "invoice_status",
                         res.status, "amount_paid_sats", log_i64(paid, res.amount_paid_sats));
                if (strcmp(o->state, "credited") == 0)
                        payments_auto_refund(db, store, o->invoice, &res);
        }
        payments_result_free(&res);
        return 0;
}
