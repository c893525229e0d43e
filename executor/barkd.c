#include "barkd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "hex.h"
#include "payable.h"

char *
barkd_pay_body(const char *destination, enum dest_type type, int64_t amount_sat,
               const char *comment)
{
        int wants_amount = type == DEST_LIGHTNING_ADDRESS || type == DEST_LNURL;
        char amount[24];
        char *s = NULL;
        if (destination == NULL || type == DEST_BITCOIN_ADDRESS || amount_sat > AMOUNT_MAX_SATS ||
            (wants_amount && amount_sat < 1) || amount_sat == 0)
                return NULL;
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || cJSON_AddStringToObject(o, "destination", destination) == NULL)
                goto out;
        if (amount_sat > 0) {
                /* Raw integer text: cJSON would print a double, and large
                 * values as 2.1e+15, which barkd's u64 refuses. */
                snprintf(amount, sizeof(amount), "%lld", (long long)amount_sat);
                if (cJSON_AddRawToObject(o, "amount_sat", amount) == NULL)
                        goto out;
        }
        if (wants_amount && comment != NULL && comment[0] != '\0' &&
            cJSON_AddStringToObject(o, "comment", comment) == NULL)
                goto out;
        s = cJSON_PrintUnformatted(o);
out:
        cJSON_Delete(o);
        return s;
}

/* The "message" of a barkd error body, or the body's first printable bytes. */
static void
barkd_message(const struct httpc_response *resp, char *buf, size_t bufsz)
{
        size_t n = 0;
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
        const char *src = cJSON_IsString(m)      ? m->valuestring
                          : cJSON_IsString(root) ? root->valuestring
                          : resp->body != NULL   ? resp->body
                                                 : "";
        for (; src[n] != '\0' && n + 1 < bufsz && n < 200; n++)
                buf[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? src[n] : '?';
        buf[n] = '\0';
        cJSON_Delete(root);
}

/* barkd (bark's Wallet) refuses these before it starts a payment: nothing was
 * sent. Messages as bark writes them; matched loosely, in lowercase. */
static int
barkd_msg_no_funds(const char *m)
{
        return outcome_contains(m, "insufficient money") ||
               outcome_contains(m, "insufficient funds") || outcome_contains(m, "not enough");
}

static int
barkd_msg_bad_destination(const char *m)
{
        return outcome_contains(m, "invoice has expired") || outcome_contains(m, "wrong network") ||
               outcome_contains(m, "invalid invoice") || outcome_contains(m, "sat encoded") ||
               outcome_contains(m, "failed to fetch invoice") ||
               outcome_contains(m, "amount of zero");
}

enum outcome
barkd_classify_pay(const struct httpc_response *resp, struct payout_result *out)
{
        char msg[256];
        outcome_result_init(out);
        if (resp->err != HTTPC_OK) {
                if (!resp->sent)
                        return outcome_set(out, OUTCOME_DEFERRED, "barkd not reached: %s",
                                           resp->errmsg);
                return outcome_set(out, OUTCOME_UNKNOWN, "no answer after sending: %s",
                                   resp->errmsg);
        }
        barkd_message(resp, msg, sizeof(msg));
        switch (resp->status) {
        case 200: {
                cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "payment_hash");
                out->in_progress = 1;
                if (cJSON_IsString(h))
                        hex_copy64(out->payment_hash, h->valuestring);
                cJSON_Delete(root);
                if (out->payment_hash[0] == '\0')
                        return outcome_set(out, OUTCOME_UNKNOWN,
                                           "payment started; barkd gave no payment hash");
                return outcome_set(out, OUTCOME_UNKNOWN, "payment started");
        }
        case 401:
                return outcome_set(out, OUTCOME_DEFERRED, "bad credential (needs an operator): %s",
                                   msg);
        case 400:
        case 404:
        case 422:
                /* Refused before the wallet was asked to pay. */
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "barkd refused the request (needs an operator): HTTP %ld %s",
                                   resp->status, msg);
        case 500:
                /* "already been paid" / "already in progress" may be ours. */
                if (outcome_contains(msg, "already"))
                        break;
                if (barkd_msg_no_funds(msg))
                        return outcome_set(out, OUTCOME_DEFERRED, "barkd: %s", msg);
                if (barkd_msg_bad_destination(msg))
                        return outcome_set(out, OUTCOME_FAILED, "barkd: %s", msg);
                if (outcome_contains(msg, "amount is required"))
                        return outcome_set(out, OUTCOME_DEFERRED, "barkd (needs an operator): %s",
                                           msg);
                break;
        default:
                break;
        }
        return outcome_set(out, OUTCOME_UNKNOWN, "barkd answered HTTP %ld: %s", resp->status, msg);
}

static const char *
barkd_str(const cJSON *obj, const char *key)
{
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* Keeps the preimage only when it hashes to the payment hash. */
static int
barkd_take_preimage(const char *preimage, const char *hash, struct payout_result *out)
{
        if (hash == NULL || preimage == NULL || !outcome_preimage_matches(preimage, hash))
                return -1;
        hex_copy64(out->proof, preimage);
        hex_copy64(out->payment_hash, hash);
        return 0;
}

enum outcome
barkd_classify_send(const struct httpc_response *resp, const char *expected_hash,
                    struct payout_result *out)
{
        char msg[256];
        enum outcome o;
        outcome_result_init(out);
        if (resp->err != HTTPC_OK)
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup failed: %s", resp->errmsg);
        barkd_message(resp, msg, sizeof(msg));
        if (resp->status == 404)
                return outcome_set(out, OUTCOME_NOT_FOUND, "barkd has no such send: %s", msg);
        if (resp->status != 200)
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup answered HTTP %ld: %s",
                                   resp->status, msg);
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        const char *state = barkd_str(root, "state");
        const char *hash = barkd_str(root, "payment_hash");
        const char *preimage = barkd_str(root, "preimage");
        if (hash != NULL)
                hex_copy64(out->payment_hash, hash);
        if (state == NULL) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "send answer without a state");
        } else if (expected_hash != NULL && hash != NULL && strcasecmp(hash, expected_hash) != 0) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "answer is for another payment hash");
        } else if (strcmp(state, "paid") == 0) {
                if (barkd_take_preimage(preimage, expected_hash ? expected_hash : hash, out) == 0)
                        o = outcome_set(out, OUTCOME_SUCCEEDED, "paid");
                else
                        o = outcome_set(out, OUTCOME_UNKNOWN,
                                        "paid without a preimage matching the hash: "
                                        "check history");
        } else {
                /* "unknown" included: barkd lost track, which proves nothing. */
                out->in_progress = 1;
                o = outcome_set(out, OUTCOME_UNKNOWN, "send state %.64s", state);
        }
        cJSON_Delete(root);
        return o;
}

enum outcome
barkd_classify_history(const struct httpc_response *resp, const char *expected_hash,
                       struct payout_result *out)
{
        int successful = 0, pending = 0, failed = 0, bad_proof = 0;
        outcome_result_init(out);
        if (resp->err != HTTPC_OK)
                return outcome_set(out, OUTCOME_UNKNOWN, "history failed: %s", resp->errmsg);
        if (resp->status != 200)
                return outcome_set(out, OUTCOME_UNKNOWN, "history answered HTTP %ld", resp->status);
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        if (!cJSON_IsArray(root)) {
                cJSON_Delete(root);
                return outcome_set(out, OUTCOME_UNKNOWN, "history answer is not an array");
        }
        const cJSON *mv;
        cJSON_ArrayForEach(mv, root)
        {
                const cJSON *sub = cJSON_GetObjectItemCaseSensitive(mv, "subsystem");
                const cJSON *meta = cJSON_GetObjectItemCaseSensitive(mv, "metadata");
                const char *name = barkd_str(sub, "name");
                const char *status = barkd_str(mv, "status");
                const char *hash = barkd_str(meta, "payment_hash");
                if (name == NULL || strcmp(name, "bark.lightning_send") != 0)
                        continue;
                if (expected_hash != NULL && (hash == NULL || strcasecmp(hash, expected_hash)))
                        continue;
                if (status == NULL || strcmp(status, "pending") == 0) {
                        pending++;
                } else if (strcmp(status, "successful") == 0) {
                        const char *pre = barkd_str(meta, "payment_preimage");
                        if (pre != NULL && barkd_take_preimage(pre, hash, out) != 0) {
                                /* A proof that does not verify is no proof. */
                                bad_proof++;
                                continue;
                        }
                        if (successful++ == 0) {
                                int64_t fee;
                                char err[64];
                                if (hash != NULL)
                                        hex_copy64(out->payment_hash, hash);
                                if (amount_from_json(
                                        cJSON_GetObjectItemCaseSensitive(mv, "offchain_fee_sat"), 0,
                                        &fee, err, sizeof(err)) == 0)
                                        out->fee_sats = fee;
                        }
                } else if (strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0) {
                        failed++;
                } else {
                        pending++;
                }
        }
        cJSON_Delete(root);
        if (successful > 0)
                return outcome_set(out, OUTCOME_SUCCEEDED,
                                   out->proof[0] ? "paid" : "paid (barkd reported no preimage)");
        if (bad_proof > 0)
                return outcome_set(out, OUTCOME_UNKNOWN,
                                   "successful movement whose preimage does not match");
        if (pending > 0) {
                out->in_progress = 1;
                return outcome_set(out, OUTCOME_UNKNOWN, "payment still pending at barkd");
        }
        if (failed > 0)
                return outcome_set(out, OUTCOME_FAILED, "payment %s at barkd", "failed");
        return outcome_set(out, OUTCOME_NOT_FOUND, "no lightning send in barkd history");
}

/* --- the payout backend (executor/backend.h) --- */

static int
barkd_supports(const struct dest *d, char *why, size_t whysz)
{
        return payable_check("barkd", d->type, why, whysz);
}

/* GET path on barkd with its bearer token. */
static void
barkd_get(const struct config_backend *b, const char *path, int timeout,
          struct httpc_response *resp)
{
        char url[1024];
        snprintf(url, sizeof(url), "%s%s", b->url, path);
        struct httpc_request req = {
            .method = "GET", .url = url, .bearer = b->token, .timeout_secs = timeout};
        httpc_perform(&req, resp);
}

/* A send by payment hash: SUCCEEDED with its preimage, FAILED when barkd's
 * history shows it failed or canceled, otherwise UNKNOWN. */
static enum outcome
barkd_lookup_by_hash(const struct config_backend *b, const char *hash, int timeout,
                     struct payout_result *out)
{
        char path[128];
        struct httpc_response resp;
        snprintf(path, sizeof(path), "/api/v1/lightning/sends/%s", hash);
        barkd_get(b, path, timeout, &resp);
        enum outcome o = barkd_classify_send(&resp, hash, out);
        httpc_response_free(&resp);
        struct payout_result h;
        outcome_result_init(&h);
        if (o == OUTCOME_SUCCEEDED) {
                /* Paid: the fee is only in the history (a read, kept short). */
                barkd_get(b, "/api/v1/history", timeout < 5 ? timeout : 5, &resp);
                if (barkd_classify_history(&resp, hash, &h) == OUTCOME_SUCCEEDED)
                        out->fee_sats = h.fee_sats;
                httpc_response_free(&resp);
                return o;
        }
        /* The send alone never proves a failure: the history does. */
        barkd_get(b, "/api/v1/history", timeout, &resp);
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
barkd_pay(const struct payout_call *call, struct payout_result *out)
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
                o = barkd_lookup_by_hash(call->backend, hash, call->timeout_seconds, out);
        } while (o == OUTCOME_UNKNOWN && time(NULL) < deadline);
        return o;
}

static enum outcome
barkd_lookup(const struct payout_lookup *q, struct payout_result *out)
{
        if (q->payment_hash == NULL)
                return outcome_not_lookable(out, "barkd", q->destination_type);
        return barkd_lookup_by_hash(q->backend, q->payment_hash, q->timeout_seconds, out);
}

/* The wallet's balance with the bearer token: reads, pays nothing. */
static int
barkd_check(const struct config_store *s, const struct config_backend *b, FILE *out, FILE *err)
{
        if (b->token == NULL) {
                fprintf(err,
                        "store %s: lightning_payout barkd %s: ERROR token_env is not set: refunds "
                        "cannot be paid\n",
                        s->id, b->url);
                return 1;
        }
        struct httpc_response resp;
        barkd_get(b, "/api/v1/wallet/balance", 10, &resp);
        cJSON *root = NULL;
        int64_t spendable = 0;
        char e[128];
        int bad = 1;
        if (resp.err != HTTPC_OK)
                fprintf(err, "store %s: lightning_payout barkd %s: ERROR wallet/balance: %s\n",
                        s->id, b->url, resp.errmsg);
        else if (resp.status != 200)
                fprintf(err,
                        "store %s: lightning_payout barkd %s: ERROR wallet/balance: HTTP %ld\n",
                        s->id, b->url, resp.status);
        else if ((root = cJSON_Parse(resp.body ? resp.body : "")) == NULL ||
                 amount_from_json(cJSON_GetObjectItemCaseSensitive(root, "spendable_sat"), 0,
                                  &spendable, e, sizeof(e)) != 0)
                fprintf(err,
                        "store %s: lightning_payout barkd %s: ERROR wallet/balance: no "
                        "spendable_sat in the answer\n",
                        s->id, b->url);
        else
                bad = 0;
        if (!bad)
                fprintf(out,
                        "store %s: lightning_payout barkd %s: ok (token accepted, spendable %lld "
                        "sats)\n",
                        s->id, b->url, (long long)spendable);
        cJSON_Delete(root);
        httpc_response_free(&resp);
        return bad;
}

const struct payout_backend barkd_backend = {
    .name = "barkd",
    .supports = barkd_supports,
    .pay = barkd_pay,
    .lookup = barkd_lookup,
    .already_paid = NULL, /* a send is found by hash only once barkd started it */
    .audit = NULL,
    .check = barkd_check,
};
