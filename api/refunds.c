/* POST /v1/stores/{store}/invoices/{id}/refunds: one statement inserts the
 * refund, its first event and (with an Idempotency-Key) the stored response.
 * Over-refunding is impossible under any interleaving because the database
 * refuses it: the refund's amount is added to its invoice's committed total,
 * which a CHECK keeps within the paid amount (sql/003), and concurrent
 * creates for one invoice serialise on that row. The statement goes down a
 * pipelined connection from the event loop; what needs further reads (a
 * default destination, the explanation of a refusal) runs on the worker's
 * database thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "amount.h"
#include "auth.h"
#include "claim_create.h"
#include "claim_token.h"
#include "dbthread.h"
#include "dest.h"
#include "handler.h"
#include "hook_routes.h"
#include "idempotency.h"
#include "json.h"
#include "log.h"
#include "refund_fields.h"
#include "refund_plan.h"
#include "refunds.h"
#include "rows.h"
#include "statements.h"
#include "worker_state.h"

/* Reads the request body into a plan. A refund without destination goes to
 * the invoice's refund_destination (the payer's, captured by the shop), read
 * on the worker's blocking connection: an uncommon path. 0, or -1 after
 * answering. */
static int
refund_request_parse(struct http_ctx *c, const struct config_store *store, const char *invoice,
                     const cJSON *body, int claim, struct refund_plan *rq, char **dest_owned)
{
        char err[200];
        int bad = 0;
        int64_t amount = 0;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "amount_sats");
        if (a == NULL) {
                http_error(c, 400, "missing_field", "amount_sats is required");
                return -1;
        }
        if (amount_from_json(a, 1, &amount, err, sizeof(err)) != 0) {
                http_error(c, 400, "invalid_amount", "amount_sats %s", err);
                return -1;
        }
        const char *destination =
            handler_opt_string(c, body, "destination", REFUND_DESTINATION_MAX, &bad);
        const char *reason =
            bad ? NULL : handler_opt_string(c, body, "reason", REFUND_REASON_MAX, &bad);
        if (bad)
                return -1;
        if (claim) { /* no destination: claim_create_wanted refused one */
                claim_create_plan(amount, reason, rq);
                return 0;
        }
        if (destination == NULL) {
                struct db *db = handler_db(c);
                if (db == NULL)
                        return -1;
                const char *p[] = {store->id, invoice};
                PGresult *r = handler_exec(c, db, STMT_INVOICE_REFUND_DEST, 2, p);
                if (r == NULL)
                        return -1;
                if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                        *dest_owned = strdup(PQgetvalue(r, 0, 0));
                int found = PQntuples(r) == 1;
                PQclear(r);
                if (!found) {
                        http_error(c, 404, "invoice_not_found",
                                   "invoice %s does not exist in store %s", invoice, store->id);
                        return -1;
                }
                if (*dest_owned == NULL) {
                        http_error(c, 400, "missing_field",
                                   "destination is required: invoice %s has no refund_destination",
                                   invoice);
                        return -1;
                }
                destination = *dest_owned;
        }
        int status = 0;
        const char *code = NULL;
        if (refund_plan_make(store, amount, destination, reason, rq, &status, &code, err,
                             sizeof(err)) != 0) {
                http_error(c, status, code, "%s", err);
                return -1;
        }
        return 0;
}

static void
refund_in_flight_error(struct http_ctx *c, const struct config_store *store, const char *invoice)
{
        http_error(c, 409, "refund_in_flight",
                   "invoice %s already has a refund pending or processing, and store %s sets "
                   "one_refund_in_flight: wait until it succeeds, fails or is canceled",
                   invoice, store->id);
}

/* Same key, same invoice, but the idempotency record was pruned: the refund
 * itself remembers its key, so answer with it rather than pay twice. No such
 * refund: in_flight, one_refund_in_flight refused the create (409). */
static void
refund_existing_for_key(struct http_ctx *c, struct db *db, const struct config_store *store,
                        const char *invoice, const struct idem *idem, const struct refund_plan *rq,
                        int in_flight)
{
        const char *p[] = {store->id, invoice, idem->key};
        PGresult *r = handler_exec(c, db, STMT_REFUND_BY_KEY, 3, p);
        if (r == NULL)
                return;
        /* A claimable refund's destination is the customer's: the same key
         * and amount find it, claimed or not. */
        if (PQntuples(r) == 1 && strtoll(PQgetvalue(r, 0, 1), NULL, 10) == rq->amount_sats &&
            (rq->destination == NULL ? PQgetvalue(r, 0, 3)[0] == 't'
                                     : strcmp(PQgetvalue(r, 0, 2), rq->destination) == 0))
                http_reply_text(c, 200, PQgetvalue(r, 0, 0));
        else if (PQntuples(r) == 0 && in_flight)
                refund_in_flight_error(c, store, invoice);
        else
                http_error(c, 422, "idempotency_key_reused",
                           "Idempotency-Key '%.64s' already created a different refund for this "
                           "invoice",
                           idem->key);
        PQclear(r);
}

/* The create statement inserted nothing, or the invoice's CHECK refused the
 * amount: read the invoice and say exactly why. */
static void
refund_explain(struct http_ctx *c, struct db *db, const struct config_store *store,
               const char *invoice, int64_t amount)
{
        char window[16];
        snprintf(window, sizeof(window), "%d", store->refund_window_days);
        const char *pi[] = {store->id, invoice, window};
        PGresult *r = handler_exec(c, db, STMT_INVOICE_SUMMARY, 3, pi);
        if (r == NULL)
                return;
        if (PQntuples(r) == 0) {
                PQclear(r);
                http_error(c, 404, "invoice_not_found", "invoice %s does not exist in store %s",
                           invoice, store->id);
                return;
        }
        int64_t paid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        int expired = PQgetvalue(r, 0, 2)[0] == 't';
        char ends[40];
        snprintf(ends, sizeof(ends), "%s", PQgetvalue(r, 0, 3));
        PQclear(r);
        if (paid == 0) {
                http_error(c, 422, "invoice_not_paid", "invoice %s has no payment to refund",
                           invoice);
                return;
        }
        if (expired) {
                http_error(c, 422, "refund_window_expired",
                           "the refund window of invoice %s ended at %s (%d days after its first "
                           "payment)",
                           invoice, ends, store->refund_window_days);
                return;
        }
        const char *ps[] = {store->id, invoice};
        if ((r = handler_exec(c, db, STMT_REFUND_SUMS, 2, ps)) == NULL)
                return;
        int64_t committed = strtoll(PQgetvalue(r, 0, 0), NULL, 10) +
                            strtoll(PQgetvalue(r, 0, 1), NULL, 10) +
                            strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        PQclear(r);
        int64_t refundable = paid - committed;
        if (refundable <= 0)
                http_error(c, 422, "already_fully_refunded",
                           "invoice %s is fully refunded: %lld sat paid, %lld sat refunded or in "
                           "progress",
                           invoice, (long long)paid, (long long)committed);
        else if (amount > refundable)
                http_error(c, 422, "insufficient_refundable_balance",
                           "amount_sats: refund of %lld sat exceeds the refundable balance of "
                           "invoice %s (%lld sat)",
                           (long long)amount, invoice, (long long)refundable);
        else /* a concurrent change in between: the client may simply retry */
                http_error(c, 409, "conflict", "invoice %s changed concurrently; retry", invoice);
}

/* What needs the worker's blocking connection, on its database thread: a
 * default destination read from the invoice before the create; the
 * explanation of a create that inserted nothing; the answer to a refused
 * one. */
enum refund_step { REFUND_STEP_PLAN, REFUND_STEP_EXPLAIN, REFUND_STEP_FAILED };

/* A create being made: everything its steps need. Pointers borrow from the
 * request (headers, route) and from body. */
struct refund_job {
        const struct config_store *store;
        const char *invoice;
        enum auth_role role;
        struct idem idem;
        struct refund_plan rq;
        /* owned: rq borrows from it */
        struct refund_fields fields;
        cJSON *body;                  /* owned: rq's strings point into it */
        char *destination;            /* owned when taken from the invoice */
        char *detail;                 /* owned */
        const char *notification_url; /* in body, or NULL */
        /* "claim": true (docs/claims.md): no destination; the customer's
         * link carries token, the database only its hash. */
        int claim;
        char token[CLAIM_TOKEN_LEN + 1], token_hash[CLAIM_HASH_LEN + 1];
        char id[ID_MAX], window[16], lifetime[16];
        int attempts;
        /* What the database thread is to do (refund_create_blocking). */
        enum refund_step step;
        enum db_err err;     /* REFUND_STEP_FAILED: the pipelined create's error */
        char constraint[64]; /* and the constraint it names */
};

static void
refund_job_free(struct refund_job *j)
{
        sodium_memzero(j->token, sizeof(j->token));
        cJSON_Delete(j->body);
        refund_fields_free(&j->fields);
        free(j->destination);
        free(j->detail);
        free(j);
}

/* The create statement's parameters for j, into p; they point into row,
 * which must outlive them. Counts the attempt. */
static void
refund_job_params(struct refund_job *j, struct refund_plan_row *row,
                  const char *p[REFUND_PLAN_NPARAMS])
{
        *row = (struct refund_plan_row){.id = j->id,
                                        .store = j->store->id,
                                        .invoice = j->invoice,
                                        .actor = auth_role_name(j->role),
                                        .detail = j->detail,
                                        .window = j->window,
                                        .idem_key = j->idem.key,
                                        .idem_role = j->idem.role,
                                        .idem_fingerprint = j->idem.fingerprint,
                                        .one_in_flight = j->store->one_refund_in_flight,
                                        .notification_url = j->notification_url};
        refund_plan_params(&j->rq, row, p);
        j->attempts++;
}

/* Runs the create statement (one implicit transaction). Its result, or NULL
 * with *err and constraint (size n) set. */
static PGresult *
refund_create_exec(struct db *db, struct refund_job *j, enum db_err *err, char *constraint,
                   size_t n)
{
        struct refund_plan_row row;
        const char *p[REFUND_PLAN_NPARAMS];
        refund_job_params(j, &row, p);
        PGresult *r = NULL;
        if (j->claim) {
                const char *q[CLAIM_CREATE_NPARAMS];
                claim_create_params(&row, &j->rq, j->token_hash, j->lifetime, q);
                r = db_exec_prepared(db, STMT_CLAIM_CREATE, CLAIM_CREATE_NPARAMS, q, err);
        } else {
                r = db_exec_prepared(db, STMT_REFUND_CREATE, REFUND_PLAN_NPARAMS, p, err);
        }
        snprintf(constraint, n, "%s", r == NULL ? db->last_constraint : "");
        return r;
}

/* 1 when the amount went over the refundable balance. */
static int
refund_failed_over(enum db_err err, const char *constraint)
{
        /* Both invoice CHECKs mean the amount does not fit what was paid:
         * committed + amount past 21e14 can only pass a paid amount that is
         * itself at most 21e14. */
        return err == DB_ERR_CHECK &&
               (strcmp(constraint, "invoices_refund_within_paid") == 0 ||
                strcmp(constraint, "invoices_refund_committed_sats_range") == 0);
}

/* 1 when one_refund_in_flight refused the create (sql/012). */
static int
refund_failed_in_flight(enum db_err err, const char *constraint)
{
        return err == DB_ERR_CHECK && strcmp(constraint, "refunds_one_in_flight") == 0;
}

/* 1 when the Idempotency-Key is taken: the stored answer must be read. A
 * refund in flight may be this key's own, made by the first request: the
 * check runs before the key is inserted, so it is read too. */
static int
refund_failed_key(const struct refund_job *j, enum db_err err, const char *constraint)
{
        return j->idem.key != NULL &&
               ((err == DB_ERR_UNIQUE && (strcmp(constraint, "idempotency_keys_pkey") == 0 ||
                                          strcmp(constraint, "refunds_idempotency_key") == 0)) ||
                refund_failed_in_flight(err, constraint));
}

/* Answers a failed create statement, reading what explains it. Returns 1
 * when the statement should run once more (an expired Idempotency-Key was
 * cleared). Reads only when over or key: on the database thread. A lost
 * connection (or a timeout) leaves the outcome unknown: it is answered 503,
 * and a retry with the same Idempotency-Key finds the refund if it was
 * made. detail: the database's message, or "". */
static int
refund_create_failed(struct http_ctx *c, struct refund_job *j, enum db_err err,
                     const char *constraint, const char *detail)
{
        const struct idem *idem = &j->idem;
        int over = refund_failed_over(err, constraint);
        int key = refund_failed_key(j, err, constraint);
        if (err == DB_ERR_UNIQUE && strcmp(constraint, "refunds_payment_hash_live") == 0) {
                http_error(c, 409, "destination_in_use",
                           "another refund already pays this Lightning invoice; an invoice can be "
                           "paid once");
                return 0;
        }
        if (refund_failed_in_flight(err, constraint) && idem->key == NULL) {
                refund_in_flight_error(c, j->store, j->invoice);
                return 0;
        }
        /* jsonb writes numbers out in full: 1e300 takes 301 bytes. */
        if (err == DB_ERR_CHECK && strcmp(constraint, "refunds_metadata_check") == 0) {
                http_error(c, 400, "invalid_field",
                           "metadata: stored as jsonb it is larger than 16384 bytes (numbers "
                           "with exponents are written out in full)");
                return 0;
        }
        if (err == DB_ERR_CHECK && strcmp(constraint, "refunds_reference_check") == 0) {
                http_error(c, 400, "invalid_field",
                           "reference: the database refused it as not printable");
                return 0;
        }
        if (err == DB_ERR_LOCK_NOT_AVAIL && idem->key != NULL) {
                http_error(c, 409, "idempotency_key_in_flight",
                           "a request with Idempotency-Key '%.64s' is still running; retry later",
                           idem->key);
                return 0;
        }
        if (!over && !key) {
                log_warn("refund create failed", "request_id", c->request_id, "kind",
                         db_err_name(err), "constraint", constraint, "error", detail);
                handler_async_error(c, err);
                return 0;
        }
        struct db *db = handler_db(c);
        if (db == NULL)
                return 0;
        if (over) {
                refund_explain(c, db, j->store, j->invoice, j->rq.amount_sats);
                return 0;
        }
        /* The stored response first; the refund's own key after pruning. */
        if (idempotency_resolve(c, db, idem) == 0)
                return 0;
        if (strcmp(constraint, "idempotency_keys_pkey") == 0)
                return 1;
        refund_existing_for_key(c, db, j->store, j->invoice, idem, &j->rq,
                                refund_failed_in_flight(err, constraint));
        return 0;
}

/* Creates the refund on the blocking connection (database thread), once
 * more when an expired Idempotency-Key was cleared, and answers. */
static void
refund_create_run(struct http_ctx *c, struct refund_job *j)
{
        struct db *db = handler_db(c);
        if (db == NULL)
                return;
        for (;;) {
                enum db_err err = DB_OK;
                char constraint[sizeof(db->last_constraint)];
                PGresult *r = refund_create_exec(db, j, &err, constraint, sizeof(constraint));
                char amt[24];
                if (r != NULL && PQntuples(r) == 1) {
                        log_info("refund created", "request_id", c->request_id, "store",
                                 j->store->id, "invoice", j->invoice, "refund", j->id,
                                 "amount_sats", log_i64(amt, j->rq.amount_sats), "backend",
                                 j->rq.backend, "approval", j->rq.approval, "execution",
                                 j->rq.execution, "role", auth_role_name(j->role));
                        if (j->claim)
                                claim_create_reply(c, 201, PQgetvalue(r, 0, 0), j->token);
                        else
                                http_reply_text(c, 201, PQgetvalue(r, 0, 0));
                        PQclear(r);
                        return;
                }
                if (r != NULL) {
                        PQclear(r);
                        refund_explain(c, db, j->store, j->invoice, j->rq.amount_sats);
                        return;
                }
                if (!refund_create_failed(c, j, err, constraint, db->last_error))
                        return;
                if (j->attempts >= 2) {
                        http_error(c, 409, "conflict",
                                   "Idempotency-Key '%.64s' is changing hands; retry", j->idem.key);
                        return;
                }
        }
}

/* Reads j's body into its plan, id and detail. 0, or -1 after answering. A
 * body without destination needs a read: on the database thread only. */
static int
refund_job_plan(struct http_ctx *c, struct refund_job *j)
{
        if (refund_request_parse(c, j->store, j->invoice, j->body, j->claim, &j->rq,
                                 &j->destination) != 0)
                return -1;
        if (j->claim)
                claim_create_fields(&j->fields, &j->rq);
        else if (refund_fields_apply(c, &j->fields, &j->rq) != 0)
                return -1;
        ids_new(j->id, "rf_");
        snprintf(j->window, sizeof(j->window), "%d", j->store->refund_window_days);
        if (j->claim) {
                snprintf(j->lifetime, sizeof(j->lifetime), "%d", j->store->claim_lifetime_days);
                claim_token_new(j->token, j->token_hash);
                j->detail = refund_plan_detail(&j->rq, c->request_id, true);
        } else {
                j->detail = refund_plan_detail(&j->rq, c->request_id, false);
        }
        return 0;
}

/* On the database thread: j's step (c->pending), then j is freed. */
static void
refund_create_blocking(struct http_ctx *c)
{
        struct refund_job *j = (struct refund_job *)c->pending;
        c->pending = NULL;
        struct db *db = NULL;
        switch (j->step) {
        case REFUND_STEP_PLAN:
                if (refund_job_plan(c, j) == 0)
                        refund_create_run(c, j);
                break;
        case REFUND_STEP_EXPLAIN:
                if ((db = handler_db(c)) != NULL)
                        refund_explain(c, db, j->store, j->invoice, j->rq.amount_sats);
                break;
        case REFUND_STEP_FAILED:
                if (!refund_create_failed(c, j, j->err, j->constraint, ""))
                        break;
                if (j->attempts < 2)
                        refund_create_run(c, j);
                else
                        http_error(c, 409, "conflict",
                                   "Idempotency-Key '%.64s' is changing hands; retry", j->idem.key);
                break;
        }
        refund_job_free(j);
}

/* Loop thread: hands c and j to the database thread for step. 1 when
 * queued (both now belong to it, c->async set); else 0 after answering 503
 * (j and c are still the caller's). */
static int
refund_handoff(struct http_ctx *c, struct refund_job *j, enum refund_step step)
{
        j->step = step;
        c->pending = j;
        if (dbthread_submit(c->worker->dbt, c, refund_create_blocking) == 0) {
                c->async = 1;
                return 1;
        }
        c->pending = NULL;
        http_error(c, 503, "server_busy", "too many requests wait for the database; retry");
        return 0;
}

static void refund_create_done(void *arg, const PGresult *r, enum db_err err,
                               const char *constraint);

/* Queues the create statement on a pipelined connection. 0, or -1 after
 * answering. */
static int
refund_create_submit(struct http_ctx *c, struct refund_job *j)
{
        struct refund_plan_row row;
        const char *p[REFUND_PLAN_NPARAMS];
        refund_job_params(j, &row, p);
        c->pending = j;
        return handler_submit(c, STMT_REFUND_CREATE, REFUND_PLAN_NPARAMS, p, refund_create_done);
}

/* The pipelined create's answer, on the loop: what needs reads goes to the
 * database thread. */
static void
refund_create_done(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        struct http_ctx *c = arg;
        struct refund_job *j = (struct refund_job *)c->pending;
        char amt[24];
        if (r != NULL && PQntuples(r) == 1) {
                log_info("refund created", "request_id", c->request_id, "store", j->store->id,
                         "invoice", j->invoice, "refund", j->id, "amount_sats",
                         log_i64(amt, j->rq.amount_sats), "backend", j->rq.backend, "approval",
                         j->rq.approval, "execution", j->rq.execution, "role",
                         auth_role_name(j->role));
                http_reply_text(c, 201, PQgetvalue(r, 0, 0));
        } else if (r != NULL) {
                if (refund_handoff(c, j, REFUND_STEP_EXPLAIN))
                        return; /* c and j now belong to the database thread */
        } else if (refund_failed_over(err, constraint) || refund_failed_key(j, err, constraint)) {
                j->err = err;
                snprintf(j->constraint, sizeof(j->constraint), "%s", constraint);
                if (refund_handoff(c, j, REFUND_STEP_FAILED))
                        return;
        } else {
                refund_create_failed(c, j, err, constraint, ""); /* answers without reading */
        }
        refund_job_free(j);
        handler_async_done(c);
}

/* The optional notification_url (sql/010, docs/webhooks.md). 0, or -1
 * after answering. */
static int
refunds_notification_url(struct http_ctx *c, const struct config_store *store, struct refund_job *j)
{
        char msg[200];
        int bad = 0;
        j->notification_url = handler_opt_string(c, j->body, "notification_url", 2048, &bad);
        if (bad)
                return -1;
        if (j->notification_url != NULL &&
            hook_routes_url_check(store, j->notification_url, msg, sizeof(msg)) != 0) {
                http_error(c, 422, "invalid_notification_url", "%s", msg);
                return -1;
        }
        return 0;
}

/* On the loop: the create is one statement on a pipelined connection. A
 * body without destination (a read of the invoice's) and the explanation
 * of a refusal run on the database thread. */
void
refunds_create(struct http_ctx *c)
{
        static const char *const fields[] = {"amount_sats",      "destination", "reason",
                                             "reference",        "metadata",    "buyer_pays_fee",
                                             "notification_url", "claim",       NULL};
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_PAYOUT);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *invoice = handler_id(c, 1, "inv_", "invoice");
        if (invoice == NULL)
                return;
        struct refund_job *j = calloc(1, sizeof(*j));
        if (j == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        j->store = store;
        j->invoice = invoice;
        j->role = role;
        if (idempotency_from_request(c, store->id, role, &j->idem) != 0 ||
            (j->body = handler_body_object(c, fields, 0)) == NULL ||
            refund_fields_parse(c, j->body, &j->fields) != 0) {
                refund_job_free(j);
                return;
        }
        if (refunds_notification_url(c, store, j) != 0 ||
            claim_create_wanted(c, j->body, &j->claim) != 0) {
                refund_job_free(j);
                return;
        }
        /* A claim's token never goes down the pipeline's shared path: it is
         * made and answered on the database thread. */
        const cJSON *dest = cJSON_GetObjectItemCaseSensitive(j->body, "destination");
        if (j->claim || dest == NULL || cJSON_IsNull(dest)) {
                if (!refund_handoff(c, j, REFUND_STEP_PLAN))
                        refund_job_free(j);
                return;
        }
        if (refund_job_plan(c, j) != 0 || refund_create_submit(c, j) != 0)
                refund_job_free(j);
}
