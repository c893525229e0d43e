#include "reach.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "btcrpc.h"
#include "httpc.h"
#include "lnrecv.h"

int
reach_bitcoin_chain_matches(const char *chain, const char *network)
{
        if (chain == NULL || network == NULL)
                return 0;
        if (strcmp(network, "mainnet") == 0)
                return strcmp(chain, "main") == 0;
        if (strcmp(network, "testnet") == 0)
                return strcmp(chain, "test") == 0 || strcmp(chain, "testnet4") == 0;
        if (strcmp(network, "signet") == 0 || strcmp(network, "regtest") == 0)
                return strcmp(chain, network) == 0;
        return 0;
}

/* "store ID: KIND BACKEND URL: " then the message. */
static void reach_line(FILE *f, const struct config_store *st, const char *kind,
                       const struct config_backend *b, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
reach_line(FILE *f, const struct config_store *st, const char *kind, const struct config_backend *b,
           const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(f, "store %s: %s %s %s: ", st->id, kind, b->backend ? b->backend : "?",
                b->url ? b->url : "?");
        vfprintf(f, fmt, ap);
        fputc('\n', f);
        va_end(ap);
}

enum reach_verdict
reach_lightning_probe(const struct config_store *st, long timeout, char *chain, size_t chainsz,
                      char *why, size_t whysz)
{
        const struct config_backend *b = &st->lightning;
        char err[320];
        chain[0] = '\0';
        if (b->limited_api_password == NULL) {
                snprintf(why, whysz,
                         "limited_api_password_env is not set: qpayd cannot call "
                         "phoenixd");
                return REACH_UNREACHABLE;
        }
        struct lnrecv ln = {
            .url = b->url, .password = b->limited_api_password, .timeout_secs = timeout};
        if (lnrecv_getinfo(&ln, chain, chainsz, err, sizeof(err)) != 0) {
                snprintf(why, whysz, "getinfo: %s", err);
                return REACH_UNREACHABLE;
        }
        if (!lnrecv_chain_matches(chain, st->network)) {
                snprintf(why, whysz, "phoenixd runs on chain %.40s but the store's network is %s",
                         chain, st->network);
                return REACH_WRONG_CHAIN;
        }
        int full = lnrecv_password_is_full(&ln, err, sizeof(err));
        if (full == 1) {
                snprintf(why, whysz,
                         "the limited_api_password_env of store %s opens payinvoice: it is the "
                         "full password; qpayd must hold only the limited one",
                         st->id);
                return REACH_FULL_PASSWORD;
        }
        if (full != 0) {
                snprintf(why, whysz, "cannot tell whether the password is the limited one: %s",
                         err);
                return REACH_UNREACHABLE;
        }
        snprintf(why, whysz, "chain %.40s, limited password", chain);
        return REACH_OK;
}

enum reach_verdict
reach_bitcoin_node(const struct config_store *st, long timeout, int *ibd, char *chain,
                   size_t chainsz, char *why, size_t whysz)
{
        const struct config_backend *b = &st->bitcoin;
        *ibd = 0;
        chain[0] = '\0';
        if (b->rpc_auth == NULL) {
                snprintf(why, whysz, "rpc_auth_env is not set: qpayd cannot call bitcoind");
                return REACH_UNREACHABLE;
        }
        struct btcrpc node = {.url = b->url, .rpc_auth = b->rpc_auth, .timeout_secs = timeout};
        struct btcrpc_reply r;
        enum reach_verdict v = REACH_UNREACHABLE;
        if (btcrpc_call(&node, "getblockchaininfo", NULL, &r) != 0) {
                snprintf(why, whysz, "%s", r.error);
                goto done;
        }
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(r.result, "chain");
        if (!cJSON_IsString(c)) {
                snprintf(why, whysz, "getblockchaininfo: the answer has no chain");
                goto done;
        }
        snprintf(chain, chainsz, "%s", c->valuestring);
        if (!reach_bitcoin_chain_matches(c->valuestring, st->network)) {
                snprintf(why, whysz, "bitcoind runs on chain %.40s but the store's network is %s",
                         c->valuestring, st->network);
                v = REACH_WRONG_CHAIN;
                goto done;
        }
        *ibd = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.result, "initialblockdownload"));
        snprintf(why, whysz, "%.40s", c->valuestring);
        v = REACH_OK;
done:
        btcrpc_reply_free(&r);
        return v;
}

/* After a failed check: does anything answer HTTP at url at all? A backend
 * that is down (not running, not listening there, no route) is only a
 * warning: serve starts without it and its receiver keeps trying. One that
 * answers wrongly (401, another chain, the full password) is a
 * configuration error. */
static int
reach_answers(const char *url)
{
        struct httpc_request req = {
            .method = "GET", .url = url, .connect_timeout_secs = 3, .timeout_secs = 3};
        struct httpc_response resp;
        int answered = httpc_perform(&req, &resp) == 0;
        httpc_response_free(&resp);
        return answered;
}

/* The warning for a backend that does not answer (reach_answers). */
static void
reach_down(FILE *out, const struct config_store *st, const char *kind,
           const struct config_backend *b, const char *why)
{
        reach_line(out, st, kind, b,
                   "warning: not reachable (%s): payments to this store are not detected until "
                   "it answers",
                   why);
}

static int
reach_lightning(const struct config_store *st, FILE *out, FILE *err)
{
        char why[400], chain[64];
        enum reach_verdict v =
            reach_lightning_probe(st, 10, chain, sizeof(chain), why, sizeof(why));
        if (v == REACH_UNREACHABLE && st->lightning.limited_api_password != NULL &&
            !reach_answers(st->lightning.url)) {
                reach_down(out, st, "lightning", &st->lightning, why);
                return 0;
        }
        if (v != REACH_OK) {
                reach_line(err, st, "lightning", &st->lightning, "ERROR %s", why);
                return 1;
        }
        reach_line(out, st, "lightning", &st->lightning, "ok (%s)", why);
        return 0;
}

/* getwalletinfo on the configured wallet: it must exist, be loaded, and be
 * watch-only. */
static int
reach_bitcoin_wallet(const struct config_store *st, const struct btcrpc *w, FILE *err)
{
        const struct config_backend *b = &st->bitcoin;
        struct btcrpc_reply r;
        int bad = 1;
        if (btcrpc_call(w, "getwalletinfo", NULL, &r) != 0) {
                if (r.code == -18)
                        reach_line(err, st, "bitcoin", b,
                                   "ERROR wallet %s does not exist or is not loaded (%s): create "
                                   "it with qpayd wallet-init --store %s --descriptor '...'",
                                   b->wallet, r.error, st->id);
                else
                        reach_line(err, st, "bitcoin", b, "ERROR wallet %s: %s", b->wallet,
                                   r.error);
                goto done;
        }
        if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.result, "private_keys_enabled"))) {
                reach_line(err, st, "bitcoin", b,
                           "ERROR wallet %s has private keys enabled: qpayd must use a "
                           "watch-only wallet (qpayd wallet-init creates one)",
                           b->wallet);
                goto done;
        }
        bad = 0;
done:
        btcrpc_reply_free(&r);
        return bad;
}

static int
reach_bitcoin(const struct config_store *st, FILE *out, FILE *err)
{
        const struct config_backend *b = &st->bitcoin;
        char why[400], chain[64];
        int ibd = 0;
        enum reach_verdict v =
            reach_bitcoin_node(st, 10, &ibd, chain, sizeof(chain), why, sizeof(why));
        if (v == REACH_UNREACHABLE && b->rpc_auth != NULL && !reach_answers(b->url)) {
                reach_down(out, st, "bitcoin", b, why);
                return 0;
        }
        if (v != REACH_OK) {
                reach_line(err, st, "bitcoin", b, "ERROR %s", why);
                return 1;
        }
        if (ibd)
                reach_line(out, st, "bitcoin", b,
                           "warning: bitcoind is in initial block download; on-chain payments "
                           "are not credited until it ends");
        struct btcrpc w = {
            .url = b->url, .wallet = b->wallet, .rpc_auth = b->rpc_auth, .timeout_secs = 10};
        if (reach_bitcoin_wallet(st, &w, err) != 0)
                return 1;
        reach_line(out, st, "bitcoin", b, "ok (chain %s, watch-only wallet %s)", chain, b->wallet);
        return 0;
}

int
reach_check(const struct config *cfg, FILE *out, FILE *err)
{
        int bad = 0;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *st = &cfg->stores[i];
                if (st->lightning.present)
                        bad += reach_lightning(st, out, err);
                if (st->bitcoin.present)
                        bad += reach_bitcoin(st, out, err);
        }
        fflush(out);
        return bad;
}
