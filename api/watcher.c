#include "watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "btcrpc.h"
#include "chainscan.h"
#include "log.h"
#include "payments.h"
#include "reach.h"
#include "statements.h"

#define WATCHER_TIMEOUT  15
#define WATCHER_MAX_LIST (256u * 1024 * 1024) /* a wallet's first read lists its history */

static void
watcher_problem(struct watcher_state *st, const char *store, const char *problem)
{
        if (problem == NULL) {
                if (st->problem[0])
                        log_info("on-chain watcher running again", "store", store);
                st->problem[0] = '\0';
                return;
        }
        if (strcmp(st->problem, problem) != 0)
                log_error("on-chain watcher paused", "store", store, "reason", problem);
        snprintf(st->problem, sizeof(st->problem), "%s", problem);
}

/* Is the node on the store's chain and done syncing? NULL when fine, else why
 * (in buf). */
static const char *
watcher_node_ready(const struct config_store *store, char *buf, size_t bufsz)
{
        int ibd = 0;
        char chain[64];
        if (reach_bitcoin_node(store, WATCHER_TIMEOUT, &ibd, chain, sizeof(chain), buf, bufsz) !=
            REACH_OK)
                return buf;
        if (ibd) {
                snprintf(buf, bufsz,
                         "bitcoind is in initial block download: nothing is credited until it "
                         "is done");
                return buf;
        }
        return NULL;
}

/* Records one output for the invoice at its address (none: not ours, 0).
 * 0, or -1 when it could not be recorded. */
static int
watcher_record(struct db *db, const struct config_store *store, const struct chainscan_entry *e)
{
        const char *pa[] = {store->id, e->address};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_INVOICE_BY_ADDRESS, 2, pa, &err);
        if (r == NULL)
                return -1;
        int rc = 0;
        if (PQntuples(r) == 1) {
                char ref[80], detail[220];
                snprintf(ref, sizeof(ref), "%s:%ld", e->txid, e->vout);
                snprintf(detail, sizeof(detail), "{\"address\":\"%s\",\"txid\":\"%s\"}", e->address,
                         e->txid);
                struct payment_obs o = {.store = store->id,
                                        .invoice = PQgetvalue(r, 0, 0),
                                        .method = "onchain",
                                        .reference = ref,
                                        .amount_sats = e->amount_sats,
                                        .confirmations = e->confirmations,
                                        .state = chainscan_state(e, store->confirmations_required),
                                        .actor = "onchain",
                                        .detail = detail};
                rc = payments_observe(db, store, &o);
        }
        PQclear(r);
        return rc;
}

/* listsinceblock from last (or the whole history). 0 with scan filled, or -1
 * with why in buf. */
static int
watcher_list(const struct btcrpc *wallet, const struct config_store *store, const char *last,
             struct chainscan *scan, char *buf, size_t bufsz)
{
        int target = store->confirmations_required > 1 ? store->confirmations_required : 1;
        char params[200];
        struct btcrpc_reply rep;
        snprintf(params, sizeof(params), "[%s%s%s, %d, true, true]", last[0] ? "\"" : "",
                 last[0] ? last : "null", last[0] ? "\"" : "", target);
        int rc = btcrpc_call(wallet, "listsinceblock", params, &rep);
        if (rc != 0 && rep.code == -5 && last[0]) {
                /* The node does not know our last block (a new node): read the
                 * wallet's whole history; recording it again changes nothing. */
                log_warn("last block unknown to bitcoind: rescanning the wallet's history", "store",
                         store->id, "block", last);
                btcrpc_reply_free(&rep);
                snprintf(params, sizeof(params), "[null, %d, true, true]", target);
                rc = btcrpc_call(wallet, "listsinceblock", params, &rep);
        }
        if (rc != 0)
                snprintf(buf, bufsz, "%s", rep.error);
        else
                rc = chainscan_parse(rep.http.body, rep.http.len, scan, buf, bufsz);
        btcrpc_reply_free(&rep);
        return rc;
}

static int
watcher_listed(const struct chainscan *scan, const char *reference)
{
        char ref[80];
        for (size_t i = 0; i < scan->n; i++) {
                snprintf(ref, sizeof(ref), "%s:%ld", scan->items[i].txid, scan->items[i].vout);
                if (strcmp(ref, reference) == 0)
                        return 1;
        }
        return 0;
}

/* listsinceblock leaves out receives with negative confirmations, and lists
 * `removed` only for blocks a reorg undid: a payment seen unconfirmed whose
 * conflict was mined before the next poll would stay `seen` for ever. Ask
 * gettransaction about every seen payment the answer did not list. 0, or -1
 * when one could not be checked or recorded. */
static int
watcher_recheck_seen(struct db *db, const struct config_store *store, const struct btcrpc *wallet,
                     const struct chainscan *scan, const atomic_int *stop)
{
        const char *ps[] = {store->id};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_ONCHAIN_SEEN, 1, ps, &err);
        if (r == NULL)
                return -1;
        int rc = 0;
        for (int i = 0; i < PQntuples(r) && rc == 0 && !atomic_load(stop); i++) {
                const char *ref = PQgetvalue(r, i, 1);
                const char *colon = strchr(ref, ':');
                if (colon == NULL || colon - ref != 64 || watcher_listed(scan, ref))
                        continue;
                char params[128];
                snprintf(params, sizeof(params), "[\"%.64s\", true]", ref);
                struct btcrpc_reply rep;
                if (btcrpc_call(wallet, "gettransaction", params, &rep) != 0) {
                        log_warn("gettransaction failed for a seen payment", "store", store->id,
                                 "reference", ref, "error", rep.error);
                        btcrpc_reply_free(&rep);
                        rc = -1;
                        break;
                }
                const cJSON *conf = cJSON_GetObjectItemCaseSensitive(rep.result, "confirmations");
                struct chainscan_entry e = {0};
                /* Within long's range before converting (1e300 would be
                 * undefined); anything else is not read, like a missing one. */
                if (cJSON_IsNumber(conf) && conf->valuedouble >= -1e9 && conf->valuedouble <= 1e9) {
                        snprintf(e.txid, sizeof(e.txid), "%.64s", ref);
                        e.vout = strtol(colon + 1, NULL, 10);
                        e.confirmations = (long)conf->valuedouble;
                        e.amount_sats = strtoll(PQgetvalue(r, i, 2), NULL, 10);
                        e.replaced = e.confirmations == 0 &&
                                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                                         rep.result, "mempoolconflicts")) > 0;
                        struct payment_obs o = {
                            .store = store->id,
                            .invoice = PQgetvalue(r, i, 0),
                            .method = "onchain",
                            .reference = ref,
                            .amount_sats = e.amount_sats,
                            .confirmations = e.confirmations,
                            .state = chainscan_state(&e, store->confirmations_required),
                            .actor = "onchain",
                            .detail = NULL};
                        rc = payments_observe(db, store, &o);
                }
                btcrpc_reply_free(&rep);
        }
        PQclear(r);
        return rc;
}

void
watcher_poll(struct db *db, const struct config_store *store, struct watcher_state *st,
             const atomic_int *stop)
{
        char buf[400];
        const char *why = watcher_node_ready(store, buf, sizeof(buf));
        watcher_problem(st, store->id, why);
        if (why != NULL)
                return;
        const char *ps[] = {store->id};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_CHAIN_GET, 1, ps, &err);
        if (r == NULL) {
                log_warn("on-chain poll failed", "store", store->id, "kind", db_err_name(err));
                return;
        }
        char last[80] = "";
        if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                snprintf(last, sizeof(last), "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        struct btcrpc wallet = {.url = store->bitcoin.url,
                                .wallet = store->bitcoin.wallet,
                                .rpc_auth = store->bitcoin.rpc_auth,
                                .timeout_secs = WATCHER_TIMEOUT,
                                .max_response = WATCHER_MAX_LIST};
        struct chainscan scan = {0};
        if (watcher_list(&wallet, store, last, &scan, buf, sizeof(buf)) != 0) {
                watcher_problem(st, store->id, buf);
                return;
        }
        int failed = 0;
        for (size_t i = 0; i < scan.n && !failed; i++)
                failed = atomic_load(stop) || watcher_record(db, store, &scan.items[i]) != 0;
        failed = failed || watcher_recheck_seen(db, store, &wallet, &scan, stop) != 0 ||
                 atomic_load(stop);
        /* Only once everything listed is recorded: otherwise the same blocks
         * are read again next time, and recording is idempotent. */
        if (!failed) {
                const char *pl[] = {store->id, scan.lastblock};
                if ((r = db_exec_prepared(db, STMT_CHAIN_SET, 2, pl, &err)) != NULL)
                        PQclear(r);
        } else {
                log_warn("on-chain poll incomplete: the same blocks are read again next time",
                         "store", store->id);
        }
        chainscan_free(&scan);
}
