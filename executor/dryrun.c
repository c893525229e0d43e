#include "dryrun.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "exec_approval.h"
#include "log.h"
#include "payout.h"
#include "policy.h"
#include "queries.h"

struct dryrun_counts {
        long verdict[POLICY_INVALID + 1];
};

/* One store and backend. 0, or -1 on a database error. */
static int
dryrun_backend(struct db *db, const struct config_store *s, const char *backend,
               const struct config_backend *b, long limit, FILE *out, struct dryrun_counts *counts)
{
        const struct config_refunds *pol = &b->refunds;
        enum dest_network net;
        if (dest_network_parse(s->network, &net) != 0)
                return -1;
        enum db_err err;
        const char *pd[] = {s->id, backend};
        PGresult *r = db_exec_prepared(db, Q_DAY_TOTALS, 2, pd, &err);
        if (r == NULL)
                return -1;
        struct policy_day day = {strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                                 strtoll(PQgetvalue(r, 0, 1), NULL, 10)};
        PQclear(r);
        char lim[24];
        snprintf(lim, sizeof(lim), "%ld", limit);
        const char *pc[] = {s->id, backend, lim};
        if ((r = db_exec_prepared(db, Q_CANDIDATES, 3, pc, &err)) == NULL)
                return -1;
        int64_t now = (int64_t)time(NULL);
        for (int i = 0; i < PQntuples(r); i++) {
                struct policy_refund ref;
                queries_candidate_from_row(r, i, &ref);
                char reason[300];
                struct dest d;
                enum policy_verdict v =
                    policy_check(pol, net, &ref, &day, now, &d, reason, sizeof(reason));
                /* As the pass: approved above the threshold needs a signature
                 * this executor verifies. */
                if (v == POLICY_PAY && exec_approval_required(s, pol, ref.amount_sats)) {
                        int ok = exec_approval_verified(db, s, ref.id, ref.amount_sats,
                                                        ref.destination, reason, sizeof(reason));
                        if (ok < 0) {
                                PQclear(r);
                                return -1;
                        }
                        if (ok == 0)
                                v = POLICY_NEEDS_APPROVAL;
                }
                /* As the pass: what this backend cannot pay is manual_only. */
                if (v == POLICY_PAY && !payout_supported(b, &d, reason, sizeof(reason)))
                        v = POLICY_MANUAL;
                counts->verdict[v]++;
                /* What this pass would pay counts against the rest of the day. */
                if (v == POLICY_PAY)
                        day.processing_sats += ref.amount_sats;
                fprintf(out, "%s refund=%s store=%s backend=%s amount_sats=%lld reason=\"%s\"\n",
                        v == POLICY_PAY ? "would-claim" : "would-skip", ref.id, s->id, backend,
                        (long long)ref.amount_sats, reason);
                if (v != POLICY_PAY)
                        fprintf(out, "  verdict=%s\n", policy_verdict_name(v));
        }
        PQclear(r);
        return 0;
}

int
dryrun_run(const struct config *cfg, struct db *db, const char *store, long limit, FILE *out)
{
        struct dryrun_counts counts = {0};
        int rc = 0, matched = store == NULL;
        for (size_t i = 0; i < cfg->nstores && rc == 0; i++) {
                const struct config_store *s = &cfg->stores[i];
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                matched = 1;
                const struct {
                        const char *name;
                        const struct config_backend *b;
                } backends[] = {{"lightning", &s->lightning_payout},
                                {"bitcoin", &s->bitcoin_payout}};
                for (size_t k = 0; k < 2 && rc == 0; k++) {
                        const struct config_backend *b = backends[k].b;
                        if (!b->present || !b->refunds.present || !b->refunds.enabled)
                                continue;
                        if (dryrun_backend(db, s, backends[k].name, b, limit, out, &counts) != 0) {
                                log_error("dry run failed", "store", s->id, "backend",
                                          backends[k].name, "error", db->last_error);
                                rc = 1;
                        }
                }
        }
        if (!matched) {
                fprintf(stderr, "qpayd-executor: store '%s' is not in the configuration\n", store);
                return 2;
        }
        fprintf(out,
                "dry-run: claimable=%ld deferred=%ld manual=%ld needs_approval=%ld invalid=%ld "
                "(nothing was changed)\n",
                counts.verdict[POLICY_PAY], counts.verdict[POLICY_DEFER_DAILY],
                counts.verdict[POLICY_MANUAL], counts.verdict[POLICY_NEEDS_APPROVAL],
                counts.verdict[POLICY_INVALID]);
        return rc;
}
