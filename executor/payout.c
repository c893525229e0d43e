#include "payout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "barkd.h"
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
        if (strcmp(b->backend, "barkd") == 0)
                return d->type != DEST_BITCOIN_ADDRESS;
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
                return outcome_set(out, OUTCOME_DEFERRED, "cannot build the %s request", path);
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
        char *params =
            bitcoind_sendtoaddress_params(call->destination, call->amount_sats, call->refund_id);
        if (params == NULL)
                return outcome_set(out, OUTCOME_DEFERRED, "cannot build the sendtoaddress call");
        /* The wallet is always named in the path. A request that cannot be
         * built is never sent, and classified as deferred. */
        struct btcrpc node = {.url = b->url,
                              .wallet = b->wallet,
                              .rpc_auth = b->rpc_auth,
                              .connect_timeout_secs = 10,
                              .timeout_secs = call->timeout_seconds};
        struct httpc_response resp;
        btcrpc_post(&node, "sendtoaddress", params, call->refund_id, &resp);
        free(params);
        enum outcome o = bitcoind_classify_send(&resp, out);
        httpc_response_free(&resp);
        return o;
}

/* GET path on barkd with its bearer token. */
static void
payout_barkd_get(const struct config_backend *b, const char *path, int timeout,
                 struct httpc_response *resp)
{
        char url[1024];
        snprintf(url, sizeof(url), "%s%s", b->url, path);
        struct httpc_request req = {
            .method = "GET", .url = url, .bearer = b->token, .timeout_secs = timeout};
        httpc_perform(&req, resp);
}

enum outcome
payout_barkd_lookup(const struct config_backend *b, const char *hash, int timeout,
                    struct payout_result *out)
{
        char path[128];
        struct httpc_response resp;
        snprintf(path, sizeof(path), "/api/v1/lightning/sends/%s", hash);
        payout_barkd_get(b, path, timeout, &resp);
        enum outcome o = barkd_classify_send(&resp, hash, out);
        httpc_response_free(&resp);
        if (o == OUTCOME_SUCCEEDED)
                return o;
        /* The send alone never proves a failure: the history does. */
        struct payout_result h;
        outcome_result_init(&h);
        payout_barkd_get(b, "/api/v1/history", timeout, &resp);
        o = barkd_classify_history(&resp, hash, &h);
        httpc_response_free(&resp);
        if (o == OUTCOME_SUCCEEDED || o == OUTCOME_FAILED)
                *out = h;
        else
                outcome_set(out, OUTCOME_UNKNOWN, "barkd payment %s is still in progress", hash);
        snprintf(out->payment_hash, sizeof(out->payment_hash), "%s", hash);
        return out->outcome;
}

/* barkd pays asynchronously: lightning/pay starts it, then its send is
 * polled until it is proven paid or failed, or the request timeout passes
 * (then it stays processing, its hash recorded for reconcile). */
static enum outcome
payout_barkd(const struct payout_call *call, struct payout_result *out)
{
        const struct dest *d = call->dest;
        int64_t amount = d->type == DEST_BOLT11 && d->has_amount ? -1 : call->amount_sats;
        char *body = barkd_pay_body(call->destination, d->type, amount, NULL);
        if (body == NULL)
                return outcome_set(out, OUTCOME_DEFERRED, "cannot build the barkd pay request");
        char url[1024];
        snprintf(url, sizeof(url), "%s/api/v1/lightning/pay", call->backend->url);
        struct httpc_request req = {.method = "POST",
                                    .url = url,
                                    .content_type = "application/json",
                                    .body = body,
                                    .body_len = strlen(body),
                                    .bearer = call->backend->token,
                                    .timeout_secs = call->timeout_seconds};
        struct httpc_response resp;
        httpc_perform(&req, &resp);
        free(body);
        enum outcome o = barkd_classify_pay(&resp, out);
        httpc_response_free(&resp);
        if (o != OUTCOME_UNKNOWN || !out->in_progress || out->payment_hash[0] == '\0')
                return o;
        char hash[65];
        snprintf(hash, sizeof(hash), "%s", out->payment_hash);
        time_t deadline = time(NULL) + call->timeout_seconds;
        do {
                struct timespec pause = {0, 100 * 1000 * 1000};
                nanosleep(&pause, NULL);
                o = payout_barkd_lookup(call->backend, hash, call->timeout_seconds, out);
        } while (o == OUTCOME_UNKNOWN && time(NULL) < deadline);
        return o;
}

enum outcome
payout_pay(const struct payout_call *call, struct payout_result *out)
{
        outcome_result_init(out);
        if (!payout_supported(call->backend, call->dest))
                return outcome_set(out, OUTCOME_DEFERRED, "not payable through %s",
                                   call->backend->backend ? call->backend->backend : "?");
        if (strcmp(call->backend->backend, "bitcoind") == 0)
                return payout_bitcoind(call, out);
        if (strcmp(call->backend->backend, "barkd") == 0)
                return payout_barkd(call, out);
        return payout_phoenixd(call, out);
}
