#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "log.h"
#include "payout.h"
#include "queries.h"
#include "record.h"
#include "sdnotify.h"

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
                /* One backend call per row, each bounded: the watchdog is
                 * fed between them (executor/service.c). */
                sdnotify_alive();
                struct claimed c = {0};
                snprintf(c.id, sizeof(c.id), "%s", PQgetvalue(r, i, 0));
                c.amount_sats = strtoll(PQgetvalue(r, i, 1), NULL, 10);
                snprintf(c.destination, sizeof(c.destination), "%s", PQgetvalue(r, i, 2));
                const char *type = PQgetvalue(r, i, 3), *backend = PQgetvalue(r, i, 4);
                const char *hash = PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5);
                snprintf(c.attempt, sizeof(c.attempt), "%s", PQgetvalue(r, i, 6));
                const struct config_backend *b =
                    strcmp(backend, "bitcoin") == 0 ? &s->bitcoin_payout : &s->lightning_payout;
                const struct payout_backend *be =
                    b->present ? payout_backend_find(b->backend) : NULL;
                struct payout_result res;
                outcome_result_init(&res);
                int timeout = rs->cfg->request_timeout_seconds;
                n->looked_up++;
                /* The journal's own outcome first: it holds the original proof. */
                char jhash[65] = "";
                int from_journal = guard_journal_outcome(rs->cfg, c.id, &res, jhash);
                if (!from_journal && hash == NULL && jhash[0])
                        hash = jhash;
                if (from_journal) {
                        /* settled by the journal's record */
                } else if (be == NULL) {
                        outcome_set(&res, OUTCOME_UNKNOWN, "no %s payout backend configured here",
                                    backend);
                } else {
                        struct payout_lookup q = {c.id, type, hash, b, timeout};
                        be->lookup(&q, &res);
                }
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
