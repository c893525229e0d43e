#include "pass.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "exec_approval.h"
#include "guard.h"
#include "inflight.h"
#include "log.h"
#include "payout.h"
#include "policy.h"
#include "queries.h"
#include "sdnotify.h"
#include "verify.h"

#define PASS_BATCH   10  /* claimed per transaction: what one crash can strand */
#define PASS_WAIT_MS 200 /* how often a pass waiting for payouts looks at pass_stop */

volatile sig_atomic_t pass_stop;

/* An event written once per refund, however many passes see it. */
static int
pass_event_once(struct pass *p, const char *store, const char *id, const char *event,
                const char *reason)
{
        const char *pq[] = {store, id, event};
        PGresult *r;
        if (record_exec(&p->rs, Q_EVENT_EXISTS, 3, pq, &r) != 0)
                return -1;
        int seen = PQntuples(r) > 0;
        PQclear(r);
        return seen ? 0 : record_note(&p->rs, store, id, event, reason);
}

/* fail (Q_FAIL_PENDING, 5 parameters: the reason is also the failure
 * reason) or require_approval (Q_REQUIRE_APPROVAL, 4) of a pending refund,
 * with its event: one refund_transition call, the reason in the event. */
static int
pass_transition(struct pass *p, const char *stmt, int nparams, const char *store, const char *id,
                const char *reason)
{
        char *detail = record_detail(reason, NULL, NULL);
        if (detail == NULL)
                return -1;
        const char *pt[] = {id, store, p->rs.actor, detail, reason};
        int rc = record_exec(&p->rs, stmt, nparams, pt, NULL);
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
        if (record_exec(&p->rs, Q_CANDIDATES, 3, pc, &r) != 0)
                return -1;
        int vrc = verify_prefetch(&p->rs, p->verify, s, r);
        PQclear(r);
        if (vrc != 0 || dest_network_parse(s->network, &net) != 0 || db_begin(p->rs.db, &err) != 0)
                return -1;
        const char *pd[] = {s->id, backend};
        if (record_exec(&p->rs, Q_DAY_TOTALS, 2, pd, &r) != 0)
                goto fail;
        struct policy_day day = {strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                                 strtoll(PQgetvalue(r, 0, 1), NULL, 10)};
        PQclear(r);
        if (record_exec(&p->rs, Q_CLAIM, 3, pc, &r) != 0)
                goto fail;
        if (verify_claim_begin(&p->rs, p->verify, s, r) != 0)
                goto fail_r;
        int n = 0;
        int64_t now = (int64_t)time(NULL);
        for (int i = 0; i < PQntuples(r); i++) {
                struct policy_refund ref;
                queries_candidate_from_row(r, i, &ref);
                char why[300];
                struct dest d; /* parsed once, by policy_check */
                enum policy_verdict v =
                    policy_check(&b->refunds, net, &ref, &day, now, &d, why, sizeof(why));
                int rc = 0;
                enum verify_verdict vv = VERIFY_PAY;
                char vwhy[600];
                const char *invoice = PQgetvalue(r, i, CAND_INVOICE_ID);
                if (v == POLICY_PAY)
                        verify_refund(p->verify, s, invoice, ref.amount_sats, &vv, vwhy,
                                      sizeof(vwhy));
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
                        signed_ok = exec_approval_verified(p->rs.db, s, ref.id, ref.amount_sats,
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
                                            p->rs.cfg->executor_name,
                                            p->rs.actor,
                                            why};
                        PGresult *rm;
                        if (record_exec(&p->rs, Q_CLAIM_ONE, 7, pm, &rm) != 0)
                                goto fail_r;
                        int got = PQntuples(rm) == 1;
                        snprintf(c->attempt, sizeof(c->attempt), "%s",
                                 got ? PQgetvalue(rm, 0, 0) : "0");
                        c->buyer_pays_fee = got && strcmp(PQgetvalue(rm, 0, 1), "t") == 0;
                        PQclear(rm);
                        if (!got)
                                continue;
                        verify_claimed(p->verify, s, invoice, ref.amount_sats);
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
        if (db_commit(p->rs.db, &err) != 0)
                return -1;
        return n;
fail_r:
        PQclear(r);
fail:
        db_rollback(p->rs.db);
        return -1;
}

/* One store's payout backend, in the pass's turn. */
struct pass_pair {
        const struct config_store *s;
        const char *backend; /* "lightning" or "bitcoin" */
        const struct config_backend *b;
        int drained; /* its last claim found nothing */
};

/* A claimed refund between its claim and its recorded outcome. */
struct pass_item {
        struct claimed c;
        const struct pass_pair *pair;
        struct timespec claimed_at; /* CLOCK_MONOTONIC, after the claim's commit */
        struct inflight_job job;
        struct pass_item *next; /* in the ready queue */
};

/* Records one outcome the moment it is known: journal, database, counts,
 * the output line. Returns -1 when the database did not take it. */
static int
pass_finish(struct pass *p, const struct pass_pair *pp, const struct claimed *c,
            struct payout_result *res)
{
        int rc = 0;
        guard_after(&p->rs, c, res);
        if (record_outcome(&p->rs, pp->s, pp->backend, c, res, pass_stop) != 0) {
                log_error("outcome not recorded: the refund stays processing", "refund", c->id,
                          "outcome", outcome_name(res->outcome));
                res->outcome = OUTCOME_UNKNOWN;
                rc = -1;
        }
        long *slot = res->outcome == OUTCOME_SUCCEEDED  ? &p->counts->succeeded
                     : res->outcome == OUTCOME_FAILED   ? &p->counts->failed
                     : res->outcome == OUTCOME_DEFERRED ? &p->counts->deferred
                                                        : &p->counts->unknown;
        (*slot)++;
        fprintf(p->out,
                "refund=%s store=%s backend=%s amount_sats=%lld outcome=%s%s%s%s%s "
                "reason=\"%s\"\n",
                c->id, pp->s->id, pp->backend, (long long)c->amount_sats,
                outcome_name(res->outcome), res->tx_id[0] ? " tx_id=" : "", res->tx_id,
                res->payment_hash[0] ? " payment_hash=" : "", res->payment_hash, res->reason);
        fflush(p->out);
        log_info("payout", "refund", c->id, "store", pp->s->id, "backend", pp->backend, "outcome",
                 outcome_name(res->outcome), "reason", res->reason);
        return rc;
}

/* Claims one batch of pp's refunds and journals it (guard_before): what the
 * journal or the backend already decided is recorded now, the rest joins the
 * ready queue. Returns the number claimed, or -1. */
static int
pass_claim_batch(struct pass *p, struct pass_pair *pp, long *budget, int *rc)
{
        struct claimed batch[PASS_BATCH];
        struct payout_result pre[PASS_BATCH];
        /* What the pool can start now, and at most half its size more: a
         * claimed refund waits behind one payment at most, not behind a long
         * queue of them, so it does not outlive the in-flight window that
         * keeps reconcile (of any executor) away from it (pass_dispatch
         * checks that too). */
        int room = p->max_in_flight - inflight_busy(p->pool) + p->max_in_flight / 2;
        int max = *budget < PASS_BATCH ? (int)*budget : PASS_BATCH;
        if (max > room)
                max = room;
        if (max < 1)
                return 0; /* not reached: the loop claims only when the pool has room */
        int n = pass_claim(p, pp->s, pp->backend, pp->b, batch, max);
        if (n <= 0)
                return n;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        *budget -= n;
        p->counts->claimed += n;
        guard_before(&p->rs, pp->s, pp->backend, pp->b, batch, n, pre);
        for (int i = 0; i < n; i++) {
                struct pass_item *it =
                    pre[i].outcome == OUTCOME_NOT_FOUND ? calloc(1, sizeof(*it)) : NULL;
                if (pre[i].outcome == OUTCOME_NOT_FOUND && it == NULL)
                        outcome_set(&pre[i], OUTCOME_DEFERRED, "out of memory: not sent");
                if (it == NULL) {
                        /* The journal or the backend decided, or nothing can be sent. */
                        if (pass_finish(p, pp, &batch[i], &pre[i]) != 0)
                                *rc = -1;
                        continue;
                }
                it->c = batch[i];
                it->pair = pp;
                it->claimed_at = now;
                *p->ready_tail = it;
                p->ready_tail = &it->next;
        }
        return n;
}

/* The next pair with refunds left, from *turn on: claims a batch of it.
 * Returns 0 when nothing more is to be claimed in this pass. With one payout
 * at a time, a pair is drained before the next (the order of a sequential
 * pass); with more, the pairs take turns, batch by batch, so a slow backend
 * does not hold the others' refunds behind its own. */
static int
pass_claim_next(struct pass *p, struct pass_pair *pairs, size_t npairs, size_t *turn, long *budget,
                int *rc)
{
        for (size_t k = 0; k < npairs; k++) {
                struct pass_pair *pp = &pairs[(*turn + k) % npairs];
                if (*budget <= 0 || *rc != 0)
                        return 0;
                if (pp->drained)
                        continue;
                int n = pass_claim_batch(p, pp, budget, rc);
                if (n < 0) {
                        *rc = -1;
                        return 0;
                }
                if (n == 0) {
                        pp->drained = 1;
                        continue;
                }
                *turn = (*turn + k + (p->max_in_flight > 1)) % npairs;
                return 1;
        }
        return 0;
}

/* A claimed refund that is not sent after all: recorded deferred with why
 * (back to pending, nothing sent), and its item freed. */
static void
pass_not_sent(struct pass *p, struct pass_item *it, const char *why, int *rc)
{
        struct payout_result res;
        outcome_result_init(&res);
        outcome_set(&res, OUTCOME_DEFERRED, "%s: not sent, back to pending", why);
        /* The executor's own delay, not the backend's: payable again now,
         * by this pass too (refunds-once leaves nothing it could pay). */
        res.retry_now = 1;
        p->reclaim = !pass_stop;
        if (pass_finish(p, it->pair, &it->c, &res) != 0)
                *rc = -1;
        free(it);
}

/* Milliseconds a claimed refund may wait before its payout starts.
 * Reconcile leaves alone a refund whose attempt started less than 2 x
 * request_timeout_seconds + 5 ago (executor/reconcile.c); a payout lasts at
 * most request_timeout_seconds, so one started more than
 * request_timeout_seconds + 5 after its claim could still be running when
 * reconcile looks, finds nothing, and fails the refund. The pass queues at
 * most half the pool behind the payments, so this is a backstop. */
static long
pass_dispatch_limit_ms(const struct pass *p)
{
        return (long)p->rs.cfg->request_timeout_seconds * 1000;
}

static long
pass_ms_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Free payout places before the next claim: half a batch's worth, so a
 * claim (a transaction, the payments' verification, a journal fsync) serves
 * several refunds rather than each one as its place frees. */
static int
pass_claim_room(const struct pass *p)
{
        int want = (p->max_in_flight < PASS_BATCH ? p->max_in_flight : PASS_BATCH) / 2;
        return want < 1 ? 1 : want;
}

/* Hands the ready refunds to the pool while it has room. */
static void
pass_dispatch(struct pass *p, int *rc)
{
        while (p->ready != NULL && inflight_busy(p->pool) < p->max_in_flight) {
                struct pass_item *it = p->ready;
                if ((p->ready = it->next) == NULL)
                        p->ready_tail = &p->ready;
                it->next = NULL;
                if (pass_ms_since(&it->claimed_at) > pass_dispatch_limit_ms(p)) {
                        /* Reconcile may already have judged it unpaid: never send it. */
                        pass_not_sent(p, it, "waited too long for a payout thread", rc);
                        continue;
                }
                struct inflight_job *job = &it->job;
                job->call = (struct payout_call){it->c.id,
                                                 it->c.amount_sats,
                                                 it->c.destination,
                                                 &it->c.dest,
                                                 it->pair->b,
                                                 p->rs.cfg->request_timeout_seconds,
                                                 it->c.buyer_pays_fee};
                job->owner = it;
                if (inflight_submit(p->pool, job) != 0) {
                        pass_not_sent(p, it, "cannot start a payout thread", rc);
                }
        }
}

/* Stopping: the refunds claimed but not sent go back to pending at once. */
static void
pass_hand_back(struct pass *p, int *rc)
{
        while (p->ready != NULL) {
                struct pass_item *it = p->ready;
                p->ready = it->next;
                pass_not_sent(p, it, "executor stopping", rc);
        }
        p->ready_tail = &p->ready;
}

/* Claim when a payout could start and none is waiting; dispatch; record each
 * outcome as it arrives; until nothing is claimable, nothing in flight. A
 * claim or record failure stops claiming; what is claimed is still paid or
 * handed back, and everything in flight is waited for. */
static int
pass_loop(struct pass *p, struct pass_pair *pairs, size_t npairs, long budget)
{
        int rc = 0, claiming = npairs > 0;
        size_t turn = 0;
        for (;;) {
                /* A turn at least every PASS_WAIT_MS: a pass of any length
                 * keeps systemd's watchdog fed, a stuck one does not. */
                sdnotify_alive();
                if (!pass_stop)
                        pass_dispatch(p, &rc);
                else
                        pass_hand_back(p, &rc);
                if (p->reclaim && rc == 0) {
                        for (size_t i = 0; i < npairs; i++)
                                pairs[i].drained = 0;
                        claiming = npairs > 0;
                        p->reclaim = 0;
                }
                if (!pass_stop && claiming && p->ready == NULL &&
                    p->max_in_flight - inflight_busy(p->pool) >= pass_claim_room(p)) {
                        claiming = pass_claim_next(p, pairs, npairs, &turn, &budget, &rc);
                        continue;
                }
                if (inflight_busy(p->pool) == 0 && p->ready == NULL)
                        break;
                struct inflight_job *job = inflight_wait(p->pool, PASS_WAIT_MS);
                if (job == NULL)
                        continue;
                struct pass_item *it = job->owner;
                if (pass_finish(p, it->pair, &it->c, &job->result) != 0)
                        rc = -1;
                free(it);
        }
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
        struct pass p = {.out = out, .counts = counts, .max_in_flight = cfg->max_in_flight};
        record_session_init(&p.rs, db, cfg);
        p.ready_tail = &p.ready;
        if (p.max_in_flight < 1)
                p.max_in_flight = 1;
        memset(counts, 0, sizeof(*counts));
        size_t npairs = cfg->nstores * 2;
        struct pass_pair *pairs = calloc(npairs + 1, sizeof(*pairs));
        p.verify = verify_cache_new();
        p.pool = inflight_new(p.max_in_flight);
        if (pairs == NULL || p.verify == NULL || p.pool == NULL) {
                free(pairs);
                verify_cache_free(p.verify);
                inflight_free(p.pool);
                return -1;
        }
        const char *names[] = {"lightning", "bitcoin"};
        if (pass_turn == 0)
                pass_turn = (unsigned)getpid();
        size_t first = npairs > 0 ? pass_turn++ % npairs : 0, n = 0;
        for (size_t j = 0; j < npairs; j++) {
                size_t at = (first + j) % npairs;
                const struct config_store *s = &cfg->stores[at / 2];
                const struct config_backend *b =
                    at % 2 == 0 ? &s->lightning_payout : &s->bitcoin_payout;
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                if (b->present && b->refunds.present && b->refunds.enabled)
                        pairs[n++] = (struct pass_pair){s, names[at % 2], b, 0};
        }
        int rc = pass_loop(&p, pairs, n, limit);
        /* A payout call lasts at most request_timeout_seconds. */
        char in_flight[24];
        snprintf(in_flight, sizeof(in_flight), "%d", cfg->request_timeout_seconds * 2 + 5);
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                const char *pl[] = {s->id, in_flight};
                PGresult *r;
                if (record_exec(&p.rs, Q_PROCESSING_LEFT, 2, pl, &r) == 0) {
                        counts->processing_left += strtol(PQgetvalue(r, 0, 0), NULL, 10);
                        PQclear(r);
                }
        }
        inflight_free(p.pool);
        verify_cache_free(p.verify);
        free(pairs);
        return rc;
}
