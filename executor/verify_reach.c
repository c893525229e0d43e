/* check-config of the executor's receive credentials (verify.h): the same
 * probes as qpayd's (common/lnrecv.c, common/btcrpc.c), none of which can
 * pay. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "btcrpc.h"
#include "lnrecv.h"
#include "verify.h"

#define VERIFY_REACH_TIMEOUT_SECS 10

static int
verify_reach_lightning(const struct config_store *s, FILE *out, FILE *err)
{
        const struct config_backend *b = &s->lightning;
        struct lnrecv ln = {.url = b->url,
                            .password = b->limited_api_password,
                            .timeout_secs = VERIFY_REACH_TIMEOUT_SECS};
        char chain[64], e[320];
        if (b->limited_api_password == NULL) {
                fprintf(err,
                        "store %s: lightning phoenixd %s: ERROR limited_api_password_env is not "
                        "set: the executor cannot verify Lightning payments\n",
                        s->id, b->url);
                return 1;
        }
        if (lnrecv_getinfo(&ln, chain, sizeof(chain), e, sizeof(e)) != 0) {
                fprintf(err, "store %s: lightning phoenixd %s: ERROR getinfo: %s\n", s->id, b->url,
                        e);
                return 1;
        }
        if (!lnrecv_chain_matches(chain, s->network)) {
                fprintf(err,
                        "store %s: lightning phoenixd %s: ERROR phoenixd runs on chain %.40s but "
                        "the store's network is %s\n",
                        s->id, b->url, chain, s->network);
                return 1;
        }
        int full = lnrecv_password_is_full(&ln, e, sizeof(e));
        if (full != 0) {
                fprintf(err, "store %s: lightning phoenixd %s: ERROR %s\n", s->id, b->url,
                        full == 1 ? "[stores.lightning] limited_api_password_env opens "
                                    "payinvoice: it is the full password; payment checks need "
                                    "only the limited one"
                                  : e);
                return 1;
        }
        fprintf(out, "store %s: lightning phoenixd %s: ok (chain %.40s, limited password)\n", s->id,
                b->url, chain);
        return 0;
}

static int
verify_reach_bitcoin(const struct config_store *s, FILE *out, FILE *err)
{
        const struct config_backend *b = &s->bitcoin;
        if (b->rpc_auth == NULL) {
                fprintf(err,
                        "store %s: bitcoin bitcoind %s: ERROR rpc_auth_env is not set: the "
                        "executor cannot verify on-chain payments\n",
                        s->id, b->url);
                return 1;
        }
        struct btcrpc w = {.url = b->url,
                           .wallet = b->wallet,
                           .rpc_auth = b->rpc_auth,
                           .timeout_secs = VERIFY_REACH_TIMEOUT_SECS};
        struct btcrpc_reply r;
        int bad = 1;
        if (btcrpc_call(&w, "getwalletinfo", NULL, &r) != 0)
                fprintf(err, "store %s: bitcoin bitcoind %s: ERROR wallet %s: %s\n", s->id, b->url,
                        b->wallet, r.error);
        else if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.result, "private_keys_enabled")))
                fprintf(err,
                        "store %s: bitcoin bitcoind %s: ERROR wallet %s has private keys: "
                        "payment checks use the watch-only receive wallet\n",
                        s->id, b->url, b->wallet);
        else
                bad = 0;
        btcrpc_reply_free(&r);
        if (!bad)
                fprintf(out, "store %s: bitcoin bitcoind %s: ok (watch-only wallet %s)\n", s->id,
                        b->url, b->wallet);
        return bad;
}

int
verify_reach_check(const struct config *cfg, FILE *out, FILE *err)
{
        int bad = 0;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                int pays = (s->lightning_payout.present && s->lightning_payout.refunds.enabled) ||
                           (s->bitcoin_payout.present && s->bitcoin_payout.refunds.enabled);
                if (s->lightning.present)
                        bad += verify_reach_lightning(s, out, err);
                else if (pays)
                        fprintf(out,
                                "store %s: warning: no [stores.lightning]: refunds of Lightning "
                                "payments cannot be verified and are not paid\n",
                                s->id);
                if (s->bitcoin.present)
                        bad += verify_reach_bitcoin(s, out, err);
                else if (pays)
                        fprintf(out,
                                "store %s: warning: no [stores.bitcoin]: refunds of on-chain "
                                "payments cannot be verified and are not paid\n",
                                s->id);
        }
        fflush(out);
        return bad;
}
