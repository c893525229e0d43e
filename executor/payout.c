#include "payout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoind.h"
#include "httpc.h"
#include "phoenixd.h"

int
payout_supported(const struct config_backend *b, const struct dest *d)
{
        if (b->backend == NULL)
                return 0;
        if (strcmp(b->backend, "bitcoind") == 0)
                return d->type == DEST_BITCOIN_ADDRESS;
        if (strcmp(b->backend, "phoenixd") == 0)
                return d->type == DEST_BOLT11 || d->type == DEST_BOLT12_OFFER ||
                       d->type == DEST_LIGHTNING_ADDRESS;
        /* barkd's asynchronous payouts and LNURL come with the executor's next step. */
        return 0;
}

static enum outcome
payout_phoenixd(const struct payout_call *call, struct payout_result *out)
{
        const struct dest *d = call->dest;
        const char *path;
        char *form;
        if (d->type == DEST_BOLT11) {
                path = "/payinvoice";
                form = phoenixd_payinvoice_form(call->destination,
                                                d->has_amount ? -1 : call->amount_sats);
        } else if (d->type == DEST_BOLT12_OFFER) {
                path = "/payoffer";
                form = phoenixd_payoffer_form(call->destination, call->amount_sats, NULL);
        } else {
                path = "/paylnaddress";
                form = phoenixd_paylnaddress_form(call->destination, call->amount_sats, NULL);
        }
        if (form == NULL)
                return payout_set(out, OUTCOME_DEFERRED, "cannot build the %s request", path);
        char url[1024];
        snprintf(url, sizeof(url), "%s%s", call->backend->url, path);
        struct httpc_request req = {.method = "POST",
                                    .url = url,
                                    .content_type = "application/x-www-form-urlencoded",
                                    .body = form,
                                    .body_len = strlen(form),
                                    .basic_user = "",
                                    .basic_password = call->backend->full_api_password,
                                    .timeout_secs = call->timeout_seconds};
        struct httpc_response resp;
        httpc_perform(&req, &resp);
        free(form);
        enum outcome o =
            phoenixd_classify_pay(&resp, d->type == DEST_BOLT11 ? d->payment_hash : NULL, out);
        httpc_response_free(&resp);
        return o;
}

static enum outcome
payout_bitcoind(const struct payout_call *call, struct payout_result *out)
{
        const struct config_backend *b = call->backend;
        /* rpc_auth is "user:password"; the wallet is always named in the path. */
        char user[256];
        const char *password;
        if (bitcoind_auth_split(b->rpc_auth, user, sizeof(user), &password) != 0)
                return payout_set(out, OUTCOME_DEFERRED, "rpc_auth is not user:password");
        char *params =
            bitcoind_sendtoaddress_params(call->destination, call->amount_sats, call->refund_id);
        char *body = params ? bitcoind_request("sendtoaddress", params, call->refund_id) : NULL;
        free(params);
        if (body == NULL)
                return payout_set(out, OUTCOME_DEFERRED, "cannot build the sendtoaddress call");
        char url[1024];
        snprintf(url, sizeof(url), "%s/wallet/%s", b->url, b->wallet);
        struct httpc_request req = {.method = "POST",
                                    .url = url,
                                    .content_type = "application/json",
                                    .body = body,
                                    .body_len = strlen(body),
                                    .basic_user = user,
                                    .basic_password = password,
                                    .timeout_secs = call->timeout_seconds};
        struct httpc_response resp;
        httpc_perform(&req, &resp);
        free(body);
        enum outcome o = bitcoind_classify_send(&resp, out);
        httpc_response_free(&resp);
        return o;
}

enum outcome
payout_pay(const struct payout_call *call, struct payout_result *out)
{
        payout_result_init(out);
        if (!payout_supported(call->backend, call->dest))
                return payout_set(out, OUTCOME_DEFERRED, "not payable through %s",
                                  call->backend->backend ? call->backend->backend : "?");
        if (strcmp(call->backend->backend, "bitcoind") == 0)
                return payout_bitcoind(call, out);
        return payout_phoenixd(call, out);
}
