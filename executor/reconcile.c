#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "bitcoind.h"
#include "guard.h"
#include "httpc.h"
#include "log.h"
#include "payout.h"
#include "phoenixd.h"
#include "queries.h"
#include "record.h"

/* How far back the wallet's history is read to find a refund's send. */
#define RECONCILE_TX_WINDOW 10000

/* phoenixd keeps every outgoing payment by hash: a bolt11 refund's hash was
 * recorded at the claim. A 404 is phoenixd saying it never started it. */
static void
reconcile_phoenixd(const struct config_backend *b, const char *hash, int timeout,
                   struct payout_result *res)
{
        if (phoenixd_lookup_by_hash(b, hash, timeout, res, NULL) == OUTCOME_NOT_FOUND)
                payout_set(res, OUTCOME_FAILED,
                           "phoenixd has no payment with this hash: nothing was sent");
}

/* bitcoind: the send whose wallet comment is the refund id. Its absence
 * proves nothing was sent only when the whole history was read. */
static void
reconcile_bitcoind(const struct config_backend *b, const char *refund_id, int timeout,
                   struct payout_result *res)
{
        struct httpc_response resp;
        int complete = bitcoind_list_recent(b, RECONCILE_TX_WINDOW, timeout, refund_id, &resp);
        enum outcome o = resp.body
                             ? bitcoind_find_send_by_comment(resp.body, resp.len, refund_id, res)
                             : payout_set(res, OUTCOME_UNKNOWN, "%s", resp.errmsg);
        if (o == OUTCOME_NOT_FOUND) {
                if (complete)
                        payout_set(res, OUTCOME_FAILED,
                                   "no wallet transaction carries this "
                                   "refund's id: nothing was sent");
                else
                        payout_set(res, OUTCOME_UNKNOWN,
                                   "not in the last %d wallet "
                                   "transactions: look it up by hand",
                                   RECONCILE_TX_WINDOW);
        }
        httpc_response_free(&resp);
}

static int
reconcile_store(struct record_session *rs, FILE *out, const struct config_store *s,
                const char *refund, int older_than, struct reconcile_counts *n)
{
        char older[16], in_flight[24];
        snprintf(older, sizeof(older), "%d", older_than);
        snprintf(in_flight, sizeof(in_flight), "%d", rs->cfg->request_timeout_seconds * 2 + 5);
        const char *pq[] = {s->id, refund, older, in_flight};
        PGresult *r;
        if (record_exec(rs, Q_RECONCILE, 4, pq, &r) != 0)
                return -1;
        int rc = 0;
        for (int i = 0; i < PQntuples(r); i++) {
                struct claimed c = {0};
                snprintf(c.id, sizeof(c.id), "%s", PQgetvalue(r, i, 0));
                c.amount_sats = strtoll(PQgetvalue(r, i, 1), NULL, 10);
                snprintf(c.destination, sizeof(c.destination), "%s", PQgetvalue(r, i, 2));
                const char *type = PQgetvalue(r, i, 3), *backend = PQgetvalue(r, i, 4);
                const char *hash = PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5);
                snprintf(c.attempt, sizeof(c.attempt), "%s", PQgetvalue(r, i, 6));
                const struct config_backend *b =
                    strcmp(backend, "bitcoin") == 0 ? &s->bitcoin_payout : &s->lightning_payout;
                struct payout_result res;
                payout_result_init(&res);
                int timeout = rs->cfg->request_timeout_seconds;
                n->looked_up++;
                /* The journal's own outcome first: it holds the original proof. */
                char jhash[65] = "";
                int from_journal = guard_journal_outcome(rs->cfg, c.id, &res, jhash);
                if (!from_journal && hash == NULL && jhash[0])
                        hash = jhash;
                if (from_journal) {
                        /* settled by the journal's record */
                } else if (!b->present || b->backend == NULL)
                        payout_set(&res, OUTCOME_UNKNOWN, "no %s payout backend configured here",
                                   backend);
                else if (strcmp(b->backend, "bitcoind") == 0)
                        reconcile_bitcoind(b, c.id, timeout, &res);
                else if (strcmp(b->backend, "phoenixd") == 0 && hash != NULL)
                        reconcile_phoenixd(b, hash, timeout, &res);
                else if (strcmp(b->backend, "barkd") == 0 && hash != NULL)
                        payout_barkd_lookup(b, hash, timeout, &res);
                else
                        payout_set(&res, OUTCOME_UNKNOWN,
                                   "a %s through %s cannot be looked up automatically: check "
                                   "the backend by hand, then finalize it (API) or fail it here "
                                   "(docs/executor.md)",
                                   type, b->backend);
                if (res.outcome == OUTCOME_SUCCEEDED || res.outcome == OUTCOME_FAILED) {
                        if (record_outcome(rs, s, backend, &c, &res, 0) != 0) {
                                rc = -1;
                                res.outcome = OUTCOME_UNKNOWN;
                        } else {
                                guard_settled(rs->cfg, c.id, c.attempt, &res);
                        }
                }
                long *slot = res.outcome == OUTCOME_SUCCEEDED ? &n->succeeded
                             : res.outcome == OUTCOME_FAILED  ? &n->failed
                                                              : &n->left;
                (*slot)++;
                fprintf(out,
                        "refund=%s store=%s backend=%s amount_sats=%lld %s%s%s reason=\"%s\"\n",
                        c.id, s->id, backend, (long long)c.amount_sats,
                        res.outcome == OUTCOME_SUCCEEDED ? "outcome=succeeded"
                        : res.outcome == OUTCOME_FAILED  ? "outcome=failed"
                                                         : "left=processing",
                        res.tx_id[0] ? " tx_id=" : "", res.tx_id, res.reason);
                log_info("reconcile", "refund", c.id, "outcome", outcome_name(res.outcome),
                         "reason", res.reason);
        }
        PQclear(r);
        return rc;
}

int
reconcile_run(const struct config *cfg, struct db *db, const char *store, const char *refund,
              int older_than, FILE *out, struct reconcile_counts *counts)
{
        struct record_session rs;
        record_session_init(&rs, db, cfg);
        memset(counts, 0, sizeof(*counts));
        int rc = 0;
        for (size_t i = 0; i < cfg->nstores && rc == 0; i++)
                if (store == NULL || strcmp(store, cfg->stores[i].id) == 0)
                        rc = reconcile_store(&rs, out, &cfg->stores[i], refund, older_than, counts);
        return rc;
}
