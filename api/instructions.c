#include "instructions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "btcrpc.h"
#include "lnrecv.h"
#include "log.h"

/* A merchant waits for these while the shop's checkout waits for us. */
#define INSTRUCTIONS_TIMEOUT 10

unsigned
instructions_available(const struct config_store *store)
{
        return (store->lightning.present ? INSTRUCTIONS_LIGHTNING : 0u) |
               (store->bitcoin.present ? INSTRUCTIONS_ONCHAIN : 0u);
}

char *
instructions_bip21(const char *address, int64_t amount_sats, const char *bolt11)
{
        char btc[AMOUNT_BTC_STRLEN];
        if (address == NULL && bolt11 == NULL)
                return NULL;
        if (address == NULL) {
                size_t n = strlen(bolt11) + 16;
                char *s = malloc(n);
                if (s != NULL)
                        snprintf(s, n, "lightning:%s", bolt11);
                return s;
        }
        if (amount_format_btc(amount_sats, btc, sizeof(btc)) != 0)
                return NULL;
        /* BIP21 amounts are decimal BTC; trailing zeros say nothing. */
        size_t len = strlen(btc);
        while (len > 0 && btc[len - 1] == '0')
                btc[--len] = '\0';
        if (len > 0 && btc[len - 1] == '.')
                btc[--len] = '\0';
        size_t n = strlen(address) + len + (bolt11 ? strlen(bolt11) : 0) + 40;
        char *s = malloc(n);
        if (s == NULL)
                return NULL;
        if (bolt11 != NULL)
                snprintf(s, n, "bitcoin:%s?amount=%s&lightning=%s", address, btc, bolt11);
        else
                snprintf(s, n, "bitcoin:%s?amount=%s", address, btc);
        return s;
}

static int
instructions_fail(struct instructions *out, int *status, const char **code, const char *c)
{
        instructions_free(out);
        *status = 502;
        *code = c;
        return -1;
}

static int
instructions_address(const struct config_store *store, const char *invoice_id, char **address,
                     char *msg, size_t msgsz)
{
        struct btcrpc b = {.url = store->bitcoin.url,
                           .wallet = store->bitcoin.wallet,
                           .rpc_auth = store->bitcoin.rpc_auth,
                           .timeout_secs = INSTRUCTIONS_TIMEOUT};
        char params[128];
        snprintf(params, sizeof(params), "[\"%s\"]", invoice_id); /* ids are [a-z0-9_] */
        struct btcrpc_reply rep;
        int rc = -1;
        if (btcrpc_call(&b, "getnewaddress", params, &rep) != 0)
                snprintf(msg, msgsz, "bitcoind wallet %s of store %s: %s", store->bitcoin.wallet,
                         store->id, rep.error);
        else if (!cJSON_IsString(rep.result) || strlen(rep.result->valuestring) > 100)
                snprintf(msg, msgsz,
                         "bitcoind wallet %s of store %s: getnewaddress answered no "
                         "address",
                         store->bitcoin.wallet, store->id);
        else if ((*address = strdup(rep.result->valuestring)) != NULL)
                rc = 0;
        btcrpc_reply_free(&rep);
        return rc;
}

int
instructions_make(const struct config *cfg, const struct config_store *store,
                  const char *invoice_id, int64_t amount_sats, const char *description,
                  int64_t expiry_seconds, unsigned methods, struct instructions *out, int *status,
                  const char **code, char *msg, size_t msgsz)
{
        memset(out, 0, sizeof(*out));
        char err[300];
        if (methods & INSTRUCTIONS_LIGHTNING) {
                char hook[1024];
                const char *webhook = NULL;
                if (cfg->public_url != NULL) {
                        size_t n = strlen(cfg->public_url);
                        snprintf(hook, sizeof(hook), "%.*s/v1/webhooks/phoenixd/%s",
                                 (int)(n > 0 && cfg->public_url[n - 1] == '/' ? n - 1 : n),
                                 cfg->public_url, store->id);
                        webhook = hook;
                }
                struct lnrecv ln = {.url = store->lightning.url,
                                    .password = store->lightning.limited_api_password,
                                    .timeout_secs = INSTRUCTIONS_TIMEOUT};
                struct lnrecv_invoice li;
                if (lnrecv_create_invoice(&ln, amount_sats, description, expiry_seconds, invoice_id,
                                          webhook, &li, err, sizeof(err)) != 0) {
                        snprintf(msg, msgsz, "phoenixd of store %s: %s", store->id, err);
                        return instructions_fail(out, status, code, "lightning_unavailable");
                }
                out->bolt11 = li.bolt11;
                memcpy(out->payment_hash, li.payment_hash, sizeof(out->payment_hash));
        }
        if ((methods & INSTRUCTIONS_ONCHAIN) &&
            instructions_address(store, invoice_id, &out->address, msg, msgsz) != 0)
                return instructions_fail(out, status, code, "onchain_unavailable");
        out->bip21 = instructions_bip21(out->address, amount_sats, out->bolt11);
        return 0;
}

void
instructions_free(struct instructions *in)
{
        free(in->bolt11);
        free(in->address);
        free(in->bip21);
        memset(in, 0, sizeof(*in));
}
