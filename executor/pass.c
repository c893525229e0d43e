#include "pass.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "exec_approval.h"
#include "guard.h"
#include "log.h"
#include "payout.h"
#include "policy.h"
#include "queries.h"
#include "record.h"
#include "verify.h"

#define PASS_BATCH 10 /* claimed per transaction: what one crash can strand */

volatile sig_atomic_t pass_stop;

/* An event written once per refund, however many passes see it. */
static int
pass_event_once(struct pass *p, const char *store, const char *id, const char *event,
                const char *reason)
{
        const char *pq[] = {store, id, event};
        PGresult *r;
        if (pass_exec(p, Q_EVENT_EXISTS, 3, pq, &r) != 0)
                return -1;
        int seen = PQntuples(r) > 0;
        PQclear(r);
        return seen ? 0 : pass_note(p, store, id, event, reason);
}

/* fail (Q_FAIL_PENDING, 5 parameters: the reason is also the failure
 * reason) or require_approval (Q_REQUIRE_APPROVAL, 4) of a pending refund,
 * with its event: one refund_transition call, the reason in the event. */
static int
pass_transition(struct pass *p, const char *stmt, int nparams, const char *store, const char *id,
                const char *reason)
{
        char *detail = pass_detail(reason, NULL, NULL);
        if (detail == NULL)
                return -1;
        const char *pt[] = {id, store, p->actor, detail, reason};
        int rc = pass_exec(p, stmt, nparams, pt, NULL);
        free(detail);
        return rc;
}

/* The claim transaction: judge every candidate by the executor's own policy,
 * act on the verdict, and mark the payable ones processing. Returns the
 * number claimed into out (up to max), or -1 (rolled back). */
static int
pass_claim(struct pass *p, const struct config_store *s, const char *backend,
           const struct config_backend *b, struct claimed *out, int max)
{
        enum dest_network net;
        enum db_err err;
        char lim[16];
        snprintf(lim, sizeof(lim), "%d", max);
        const char *pc[] = {s->id, backend, lim};
        PGresult *r;
        /* Ask the receive backends before the transaction: no lock is held
         * while they answer. */
        if (pass_exec(p, Q_CANDIDATES, 3, pc, &r) != 0)
                return -1;
        int vrc = verify_prefetch(p, s, r);
        PQclear(r);
        if (vrc != 0 || dest_network_parse(s->network, &net) != 0 || db_begin(p->db, &err) != 0)
                return -1;
        const char *pd[] = {s->id, backend};
        if (pass_exec(p, Q_DAY_TOTALS, 2, pd, &r) != 0)
                goto fail;
        struct policy_day day = {strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                                 strtoll(PQgetvalue(r, 0, 1), NULL, 10)};
        PQclear(r);
        if (pass_exec(p, Q_CLAIM, 3, pc, &r) != 0)
                goto fail;
        if (verify_claim_begin(p, s, r) != 0)
                goto fail_r;
        int n = 0;
        int64_t now = (int64_t)time(NULL);
        for (int i = 0; i < PQntuples(r); i++) {
                struct policy_refund ref;
                candidate_from_row(r, i, &ref);
                char why[300];
                struct dest d; /* parsed once, by policy_check */
                enum policy_verdict v =
                    policy_check(&b->refunds, net, &ref, &day, now, &d, why, sizeof(why));
                int rc = 0;
                enum verify_verdict vv = VERIFY_PAY;
                char vwhy[600];
                const char *invoice = PQgetvalue(r, i, CAND_INVOICE_ID);
                if (v == POLICY_PAY)
                        verify_refund(p, s, invoice, ref.amount_sats, &vv, vwhy, sizeof(vwhy));
                if (vv == VERIFY_NOT_CHECKED)
                        continue; /* appeared after the prefetch: next pass */
                /* approval_status is the public host's word: above the
                 * threshold, and for a payment no backend can prove (mark-paid),
                 * pay only on a signature this executor verifies. */
                int signed_ok = 1;
                if (v == POLICY_PAY &&
                    (vv == VERIFY_NEEDS_APPROVAL ||
                     (vv == VERIFY_PAY &&
                      exec_approval_required(s, &b->refunds, ref.amount_sats)))) {
                        signed_ok = exec_approval_verified(p->db, s, ref.id, ref.amount_sats,
                                                           ref.destination, why, sizeof(why));
                        if (signed_ok < 0)
                                goto fail_r;
                        if (signed_ok && vv == VERIFY_NEEDS_APPROVAL)
                                vv = VERIFY_PAY; /* the approver vouches for the payment */
                }
                if (vv == VERIFY_NEEDS_APPROVAL && s->approval_keys.n > 0) {
                        /* The store has approvers: what their signature lacks is the news. */
                        rc = pass_event_once(p, s->id, ref.id, "approval_unverified", why);
                } else if (vv != VERIFY_PAY) {
                        rc = pass_event_once(p, s->id, ref.id, verify_event_name(vv), vwhy);
                } else if (!signed_ok) {
                        rc = pass_event_once(p, s->id, ref.id, "approval_unverified", why);
                } else if (v == POLICY_PAY && !payout_supported(b, &d, why, sizeof(why))) {
                        rc = pass_event_once(p, s->id, ref.id, "manual_only", why);
                } else if (v == POLICY_PAY) {
                        struct claimed *c = &out[n];
                        const char *pm[] = {ref.id,
                                            s->id,
                                            d.type == DEST_BOLT11 ? d.payment_hash : NULL,
                                            b->backend,
                                            p->cfg->executor_name,
                                            p->actor,
                                            why};
                        PGresult *rm;
                        if (pass_exec(p, Q_CLAIM_ONE, 7, pm, &rm) != 0)
                                goto fail_r;
                        int got = PQntuples(rm) == 1;
                        snprintf(c->attempt, sizeof(c->attempt), "%s",
                                 got ? PQgetvalue(rm, 0, 0) : "0");
                        PQclear(rm);
                        if (!got)
                                continue;
                        verify_claimed(p, s, invoice, ref.amount_sats);
                        snprintf(c->id, sizeof(c->id), "%s", ref.id);
                        snprintf(c->destination, sizeof(c->destination), "%s", ref.destination);
                        snprintf(c->invoice, sizeof(c->invoice), "%s",
                                 PQgetvalue(r, i, CAND_INVOICE_ID));
                        c->journaled = 0;
                        c->amount_sats = ref.amount_sats;
                        c->dest = d;
                        day.processing_sats += ref.amount_sats;
                        n++;
                } else if (v == POLICY_INVALID) {
                        rc = pass_transition(p, Q_FAIL_PENDING, 5, s->id, ref.id, why);
                        p->counts->failed++;
                        fprintf(p->out,
                                "refund=%s store=%s backend=%s amount_sats=%lld "
                                "outcome=failed reason=\"%s\"\n",
                                ref.id, s->id, backend, (long long)ref.amount_sats, why);
                } else if (v == POLICY_NEEDS_APPROVAL) {
                        rc = pass_transition(p, Q_REQUIRE_APPROVAL, 4, s->id, ref.id, why);
                } else {
                        rc = pass_event_once(p, s->id, ref.id,
                                             v == POLICY_MANUAL ? "manual_only" : "deferred", why);
                }
                if (rc != 0)
                        goto fail_r;
        }
        PQclear(r);
        if (db_commit(p->db, &err) != 0)
                return -1;
        return n;
fail_r:
        PQclear(r);
fail:
        db_rollback(p->db);
        return -1;
}

static int
pass_backend(struct pass *p, const struct config_store *s, const char *backend,
             const struct config_backend *b, long *budget)
{
        struct claimed *batch = calloc(PASS_BATCH, sizeof(*batch));
        if (batch == NULL)
                return -1;
        int rc = 0;
        while (*budget > 0 && !pass_stop) {
                int max = *budget < PASS_BATCH ? (int)*budget : PASS_BATCH;
                int n = pass_claim(p, s, backend, b, batch, max);
                if (n <= 0) {
                        rc = n < 0 ? -1 : 0;
                        break;
                }
                *budget -= n;
                p->counts->claimed += n;
                struct payout_result pre[PASS_BATCH];
                guard_before(p, s, backend, b, batch, n, pre);
                for (int i = 0; i < n; i++) {
                        const struct claimed *c = &batch[i];
                        struct payout_call call = {c->id,
                                                   c->amount_sats,
                                                   c->destination,
                                                   &c->dest,
                                                   b,
                                                   p->cfg->request_timeout_seconds};
                        struct payout_result res;
                        if (pass_stop) {
                                /* Claimed, never sent: safe to hand back now. */
                                outcome_result_init(&res);
                                outcome_set(&res, OUTCOME_DEFERRED,
                                            "executor stopping: not sent, back to pending");
                        } else if (pre[i].outcome != OUTCOME_NOT_FOUND) {
                                res = pre[i]; /* the journal or the backend decided: no call */
                        } else {
                                payout_pay(&call, &res);
                        }
                        guard_after(p, c, &res);
                        if (pass_record(p, s, backend, c, &res) != 0) {
                                log_error("outcome not recorded: the refund stays processing",
                                          "refund", c->id, "outcome", outcome_name(res.outcome));
                                res.outcome = OUTCOME_UNKNOWN;
                                rc = -1;
                        }
                        long *slot = res.outcome == OUTCOME_SUCCEEDED  ? &p->counts->succeeded
                                     : res.outcome == OUTCOME_FAILED   ? &p->counts->failed
                                     : res.outcome == OUTCOME_DEFERRED ? &p->counts->deferred
                                                                       : &p->counts->unknown;
                        (*slot)++;
                        fprintf(p->out,
                                "refund=%s store=%s backend=%s amount_sats=%lld outcome=%s%s%s%s%s "
                                "reason=\"%s\"\n",
                                c->id, s->id, backend, (long long)c->amount_sats,
                                outcome_name(res.outcome), res.tx_id[0] ? " tx_id=" : "", res.tx_id,
                                res.payment_hash[0] ? " payment_hash=" : "", res.payment_hash,
                                res.reason);
                        log_info("payout", "refund", c->id, "store", s->id, "backend", backend,
                                 "outcome", outcome_name(res.outcome), "reason", res.reason);
                }
                if (rc != 0)
                        break;
        }
        free(batch);
        return rc;
}

/* Where the next pass starts in the list of stores and backends. Each
 * process starts at its pid and moves one on per pass: several executors
 * spread over the backends instead of all draining the first one, and a slow
 * backend does not go first in every pass. */
static unsigned pass_turn;

int
pass_run(const struct config *cfg, struct db *db, const char *store, long limit, FILE *out,
         struct pass_counts *counts)
{
        struct pass p = {.db = db, .cfg = cfg, .out = out, .counts = counts};
        memset(counts, 0, sizeof(*counts));
        if ((p.verify = verify_cache_new()) == NULL)
                return -1;
        snprintf(p.actor, sizeof(p.actor), "executor:%.100s", cfg->executor_name);
        const char *names[] = {"lightning", "bitcoin"};
        size_t npairs = cfg->nstores * 2;
        if (pass_turn == 0)
                pass_turn = (unsigned)getpid();
        size_t first = npairs > 0 ? pass_turn++ % npairs : 0;
        int rc = 0;
        long budget = limit;
        for (size_t j = 0; j < npairs && rc == 0; j++) {
                size_t at = (first + j) % npairs;
                const struct config_store *s = &cfg->stores[at / 2];
                const struct config_backend *b =
                    at % 2 == 0 ? &s->lightning_payout : &s->bitcoin_payout;
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                if (b->present && b->refunds.present && b->refunds.enabled)
                        rc = pass_backend(&p, s, names[at % 2], b, &budget);
        }
        /* A payout call lasts at most request_timeout_seconds. */
        char in_flight[24];
        snprintf(in_flight, sizeof(in_flight), "%d", cfg->request_timeout_seconds * 2 + 5);
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                const char *pl[] = {s->id, in_flight};
                PGresult *r;
                if (pass_exec(&p, Q_PROCESSING_LEFT, 2, pl, &r) == 0) {
                        counts->processing_left += strtol(PQgetvalue(r, 0, 0), NULL, 10);
                        PQclear(r);
                }
        }
        verify_cache_free(p.verify);
        return rc;
}
