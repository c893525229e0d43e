#include "chainwatch.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "payout.h"
#include "queries.h"
#include "record.h"
#include "sdnotify.h"

/* Where the next run starts, per store: after the last refund looked up, so
 * that more than CHAINWATCH_BATCH watched refunds are all looked at in turn.
 * The pass's thread alone runs the watch. */
#define CHAINWATCH_CURSORS 32
static struct {
        char store[65];
        char last[65];
} chainwatch_cursor[CHAINWATCH_CURSORS];

static char *
chainwatch_cursor_of(const char *store)
{
        for (int i = 0; i < CHAINWATCH_CURSORS; i++) {
                if (chainwatch_cursor[i].store[0] == '\0')
                        snprintf(chainwatch_cursor[i].store, sizeof(chainwatch_cursor[i].store),
                                 "%s", store);
                if (strcmp(chainwatch_cursor[i].store, store) == 0)
                        return chainwatch_cursor[i].last;
        }
        return NULL; /* more stores than cursors: always from the start */
}

static const char *
chainwatch_state_name(enum payout_tx_state st)
{
        return st == PAYOUT_TX_SEEN         ? "seen"
               : st == PAYOUT_TX_CONFLICTED ? "conflicted"
               : st == PAYOUT_TX_DROPPED    ? "dropped"
                                            : NULL;
}

/* One refund: ask the wallet, record what it says. Returns 0, 1 when the
 * wallet could not answer (stop this store for this run), -1 on a database
 * error. */
static int
chainwatch_one(struct record_session *rs, const struct config_store *s,
               const struct payout_backend *be, const char *id, const char *txid,
               const char *confs_before, FILE *out, struct chainwatch_counts *n)
{
        const struct config_backend *b = &s->bitcoin_payout;
        int timeout = rs->cfg->request_timeout_seconds < 10 ? rs->cfg->request_timeout_seconds : 10;
        struct payout_tx_view v;
        be->tx_view(b, timeout, txid, &v);
        n->looked_up++;
        const char *state = chainwatch_state_name(v.state);
        if (state == NULL) {
                log_warn("chain watch: the wallet did not say", "refund", id, "store", s->id,
                         "reason", v.reason);
                return 1;
        }
        char confs[24], fee[24], required[16], warn[16];
        snprintf(confs, sizeof(confs), "%lld",
                 (long long)(v.confirmations > 0 ? v.confirmations : 0));
        snprintf(fee, sizeof(fee), "%lld", (long long)v.fee_sats);
        snprintf(required, sizeof(required), "%d", s->confirmations_required);
        snprintf(warn, sizeof(warn), "%d", s->fee_warning_percent);
        const char *p[] = {s->id,    id,   rs->actor, state, confs, v.fee_sats >= 0 ? fee : NULL,
                           required, warn, v.reason};
        PGresult *r;
        if (record_exec(rs, Q_CHAIN_OBSERVE, 9, p, &r) != 0)
                return -1;
        if (PQntuples(r) == 1) {
                const char *tx_status = PQgetvalue(r, 0, 0);
                const char *now = PQgetvalue(r, 0, 1);
                if (strcmp(tx_status, "unconfirmed") != 0 || strcmp(now, confs_before) != 0) {
                        long *slot = strcmp(tx_status, "confirmed") == 0    ? &n->confirmed
                                     : strcmp(tx_status, "conflicted") == 0 ? &n->conflicted
                                     : strcmp(tx_status, "dropped") == 0    ? &n->dropped
                                                                            : NULL;
                        if (slot)
                                (*slot)++;
                        fprintf(out,
                                "chain refund=%s store=%s tx_id=%s tx_status=%s confirmations=%s "
                                "reason=\"%s\"\n",
                                id, s->id, txid, tx_status, now, v.reason);
                }
        }
        PQclear(r);
        return 0;
}

static int
chainwatch_store(struct record_session *rs, const struct config_store *s, FILE *out,
                 struct chainwatch_counts *n)
{
        const struct payout_backend *be =
            s->bitcoin_payout.present ? payout_backend_find(s->bitcoin_payout.backend) : NULL;
        if (be == NULL || be->tx_view == NULL)
                return 0;
        char *cursor = chainwatch_cursor_of(s->id);
        char lim[16];
        snprintf(lim, sizeof(lim), "%d", CHAINWATCH_BATCH);
        const char *pw[] = {s->id, cursor ? cursor : "", lim};
        PGresult *r;
        if (record_exec(rs, Q_CHAIN_WATCH, 3, pw, &r) != 0)
                return -1;
        int rows = PQntuples(r), rc = 0;
        for (int i = 0; i < rows && rc == 0; i++) {
                sdnotify_alive(); /* as in reconcile.c */
                if (cursor)
                        snprintf(cursor, 65, "%s", PQgetvalue(r, i, 0));
                rc = chainwatch_one(rs, s, be, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                    PQgetvalue(r, i, 2), out, n);
        }
        if (cursor && rows < CHAINWATCH_BATCH && rc == 0)
                cursor[0] = '\0'; /* the end of the list: from the start next time */
        PQclear(r);
        return rc < 0 ? -1 : 0;
}

int
chainwatch_run(const struct config *cfg, struct db *db, const char *store, FILE *out,
               struct chainwatch_counts *n)
{
        struct record_session rs;
        record_session_init(&rs, db, cfg);
        memset(n, 0, sizeof(*n));
        int rc = 0;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                if (store != NULL && strcmp(store, s->id) != 0)
                        continue;
                if (chainwatch_store(&rs, s, out, n) != 0)
                        rc = -1;
        }
        fflush(out);
        return rc;
}
