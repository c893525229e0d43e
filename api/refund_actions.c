/* finalize, fail, cancel and approve: each reads the refund, checks the
 * transition here to answer a precise 409, then calls refund_transition()
 * (sql/007), which checks it again against the session's database role,
 * updates the refund and appends the event. No route moves a refund back to
 * pending, out of a final state, or out of processing other than by finalize
 * (the database refuses it too). An Idempotency-Key is claimed first in the
 * same transaction and stored with the answer (idempotency.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "auth.h"
#include "handler.h"
#include "idempotency.h"
#include "json.h"
#include "log.h"
#include "refund_approve.h"
#include "refund_actions.h"
#include "rows.h"
#include "statements.h"

enum refund_action { ACT_FINALIZE, ACT_FAIL, ACT_CANCEL, ACT_APPROVE };

struct action_spec {
        const char *name;  /* in messages and the event */
        const char *event; /* refund_events.event */
        enum auth_action auth;
        const char *stmt;
        const char *to_status; /* NULL: status unchanged (approve) */
        const char *allowed;   /* statuses it applies to, for the 409 message */
        const char *const fields[4];
};

static const struct action_spec action_specs[] = {
    [ACT_FINALIZE] = {"finalize",
                      "succeeded",
                      AUTH_PAYOUT,
                      STMT_REFUND_FINALIZE,
                      "succeeded",
                      "pending or processing",
                      {"tx_id", "payment_proof", "fee_sats", NULL}},
    [ACT_FAIL] = {"fail",
                  "failed",
                  AUTH_PAYOUT,
                  STMT_REFUND_FAIL,
                  "failed",
                  "pending",
                  {"failure_reason", NULL}},
    [ACT_CANCEL] = {"cancel",
                    "canceled",
                    AUTH_PAYOUT,
                    STMT_REFUND_CANCEL,
                    "canceled",
                    "pending or awaiting_destination",
                    {NULL}},
    [ACT_APPROVE] = {"approve",
                     "approved",
                     AUTH_APPROVE,
                     STMT_REFUND_APPROVE,
                     NULL,
                     "pending with approval_status required",
                     {"signature", "public_key", NULL}},
};

/* The action's arguments, as text parameters for its statement. */
struct action_args {
        const char *tx_id;
        const char *payment_proof;
        const char *failure_reason;
        char fee[24];
        int has_fee;
        char txid_lower[65];
};

static int
action_args_parse(struct http_ctx *c, enum refund_action act, const cJSON *body,
                  struct action_args *a)
{
        int bad = 0;
        if (act == ACT_FINALIZE) {
                a->tx_id = handler_opt_string(c, body, "tx_id", 64, &bad);
                a->payment_proof =
                    bad ? NULL : handler_opt_string(c, body, "payment_proof", 1024, &bad);
                if (bad)
                        return -1;
                if (a->tx_id == NULL && a->payment_proof == NULL) {
                        http_error(c, 400, "missing_field",
                                   "finalize needs tx_id (bitcoin) or payment_proof (Lightning)");
                        return -1;
                }
                if (a->tx_id != NULL) {
                        size_t n = strlen(a->tx_id);
                        for (size_t i = 0; i < n; i++)
                                if (!isxdigit((unsigned char)a->tx_id[i]))
                                        n = 0;
                        if (n != 64) {
                                http_error(c, 400, "invalid_field",
                                           "tx_id must be a transaction id: 64 hex characters");
                                return -1;
                        }
                        for (size_t i = 0; i <= 64; i++)
                                a->txid_lower[i] = (char)tolower((unsigned char)a->tx_id[i]);
                        a->tx_id = a->txid_lower;
                }
                if (a->payment_proof != NULL && a->payment_proof[0] == '\0') {
                        http_error(c, 400, "invalid_field", "payment_proof is empty");
                        return -1;
                }
                const cJSON *fee = cJSON_GetObjectItemCaseSensitive(body, "fee_sats");
                if (fee != NULL && !cJSON_IsNull(fee)) {
                        char err[160];
                        int64_t v = 0;
                        if (amount_from_json(fee, 0, &v, err, sizeof(err)) != 0) {
                                http_error(c, 400, "invalid_amount", "fee_sats %s", err);
                                return -1;
                        }
                        snprintf(a->fee, sizeof(a->fee), "%lld", (long long)v);
                        a->has_fee = 1;
                }
        } else if (act == ACT_FAIL) {
                a->failure_reason = handler_opt_string(c, body, "failure_reason", 1000, &bad);
                if (bad)
                        return -1;
                if (a->failure_reason == NULL || a->failure_reason[0] == '\0') {
                        http_error(c, 400, "missing_field", "failure_reason is required");
                        return -1;
                }
        }
        return 0;
}

/* Is act allowed from the locked row? Answers 409 (after rollback) if not. */
static int
action_allowed(struct http_ctx *c, struct db *db, enum refund_action act, const PGresult *r)
{
        const char *id = PQgetvalue(r, 0, 0);
        const char *status = PQgetvalue(r, 0, 1);
        const char *approval = PQgetvalue(r, 0, 2);
        int pending = strcmp(status, "pending") == 0;
        int processing = strcmp(status, "processing") == 0;
        if (act == ACT_FAIL && processing) {
                /* The payout may have gone out: only the wallet host can tell. */
                handler_fail(c, db, 409, "invalid_state",
                             "refund %s is processing: the executor may have sent it; settle it "
                             "on the wallet host with `qpayd-executor reconcile --refund %s`, or "
                             "finalize it here if you proved it was paid",
                             id, id);
                return 0;
        }
        /* A refund awaiting its customer's destination (docs/claims.md)
         * can only be canceled. */
        int awaiting = strcmp(status, "awaiting_destination") == 0;
        int ok = act == ACT_FINALIZE ? pending || processing
                                     : pending || (act == ACT_CANCEL && awaiting);
        if (!ok) {
                handler_fail(c, db, 409, "invalid_state",
                             "refund %s is %s; %s applies only to a refund that is %s", id, status,
                             action_specs[act].name, action_specs[act].allowed);
                return 0;
        }
        if (act == ACT_APPROVE && strcmp(approval, "required") != 0) {
                handler_fail(c, db, 409, "invalid_state",
                             "refund %s has approval_status %s; only a refund whose approval is "
                             "required can be approved",
                             id, approval);
                return 0;
        }
        if (act == ACT_FINALIZE && strcmp(approval, "required") == 0) {
                handler_fail(c, db, 409, "approval_required",
                             "refund %s needs an admin approval before it can be finalized", id);
                return 0;
        }
        return 1;
}

static void
refunds_act(struct http_ctx *c, enum refund_action act)
{
        const struct action_spec *spec = &action_specs[act];
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, spec->auth);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "rf_", "refund");
        struct idem idem;
        if (id == NULL || idempotency_from_request(c, store->id, role, &idem) != 0)
                return;
        cJSON *body = handler_body_object(c, spec->fields, 1);
        if (body == NULL)
                return;
        struct action_args a = {0};
        struct db *db = NULL;
        char *detail = NULL;
        PGresult *r = NULL;
        if (action_args_parse(c, act, body, &a) != 0 || (db = handler_db(c)) == NULL ||
            idempotency_begin(c, db, &idem) != 0)
                goto out;
        const char *pk[] = {store->id, id};
        if ((r = handler_exec(c, db, STMT_REFUND_STATE, 2, pk)) == NULL)
                goto out;
        if (PQntuples(r) == 0) {
                handler_fail(c, db, 404, "refund_not_found", "refund %s does not exist in store %s",
                             id, store->id);
                goto out;
        }
        /* A signature for a refund already approved (forged in the
         * database, or by a key rotated out) is stored without a transition:
         * the executor looks for it. */
        int resign = act == ACT_APPROVE && refund_approve_is_resign(store, body, r);
        if (!resign && !action_allowed(c, db, act, r))
                goto out;
        if (act == ACT_APPROVE && refund_approve_signed(c, db, store, id, body) != 0)
                goto out;
        char from[16];
        snprintf(from, sizeof(from), "%s", PQgetvalue(r, 0, 1));
        PQclear(r);
        r = NULL;

        cJSON *d = cJSON_CreateObject();
        if (a.tx_id)
                cJSON_AddStringToObject(d, "tx_id", a.tx_id);
        if (a.payment_proof)
                cJSON_AddStringToObject(d, "payment_proof", a.payment_proof);
        if (a.has_fee)
                cJSON_AddRawToObject(d, "fee_sats", a.fee);
        if (a.failure_reason)
                cJSON_AddStringToObject(d, "failure_reason", a.failure_reason);
        cJSON_AddStringToObject(d, "request_id", c->request_id);
        detail = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        if (detail == NULL) {
                handler_fail(c, db, 500, "internal", "out of memory");
                goto out;
        }
        const char *pu[7] = {store->id, id, auth_role_name(role), detail};
        int n = 4;
        if (act == ACT_FINALIZE) {
                pu[4] = a.tx_id;
                pu[5] = a.payment_proof;
                pu[6] = a.has_fee ? a.fee : NULL;
                n = 7;
        } else if (act == ACT_FAIL) {
                pu[4] = a.failure_reason;
                n = 5;
        }
        enum db_err err = DB_OK;
        const char *stmt = spec->stmt;
        if (resign) {
                stmt = STMT_REFUND_GET;
                n = 2;
        }
        if ((r = db_exec_prepared(db, stmt, n, pu, &err)) == NULL) {
                if (err == DB_ERR_CHECK || err == DB_ERR_PRIVILEGE) {
                        /* The refund moved since it was read, or the database
                         * refused this role the move: its message says which. */
                        log_warn("refund transition refused", "request_id", c->request_id, "refund",
                                 id, "action", spec->name, "error", db->last_error);
                        handler_fail(c, db, 409, "invalid_state",
                                     "refund %s: the database refused %s from its current "
                                     "state; read it again",
                                     id, spec->name);
                } else {
                        handler_db_error(c, db, err);
                }
                goto out;
        }
        if (PQntuples(r) != 1) {
                handler_fail(c, db, 404, "refund_not_found", "refund %s does not exist in store %s",
                             id, store->id);
                goto out;
        }
        const char *to = spec->to_status ? spec->to_status : from;
        if (idempotency_store(c, db, &idem, 200, PQgetvalue(r, 0, 0), id) != 0 ||
            handler_commit(c, db) != 0)
                goto out;
        log_info("refund updated", "request_id", c->request_id, "store", store->id, "refund", id,
                 "action", spec->name, "from", from, "to", to, "role", auth_role_name(role));
        http_reply_text(c, 200, PQgetvalue(r, 0, 0));
out:
        PQclear(r);
        free(detail);
        cJSON_Delete(body);
}

void
refund_actions_finalize(struct http_ctx *c)
{
        refunds_act(c, ACT_FINALIZE);
}

void
refund_actions_fail(struct http_ctx *c)
{
        refunds_act(c, ACT_FAIL);
}

void
refund_actions_cancel(struct http_ctx *c)
{
        refunds_act(c, ACT_CANCEL);
}

void
refund_actions_approve(struct http_ctx *c)
{
        refunds_act(c, ACT_APPROVE);
}
