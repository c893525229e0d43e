#include "phoenixd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "hex.h"

static char *
phoenixd_form3(const char *k1, const char *v1, int64_t amount_sat, const char *k3, const char *v3)
{
        char amount[24];
        const char *pairs[7];
        size_t n = 0;
        if (amount_sat > AMOUNT_MAX_SATS)
                return NULL;
        pairs[n++] = k1;
        pairs[n++] = v1;
        if (amount_sat >= 0) {
                snprintf(amount, sizeof(amount), "%lld", (long long)amount_sat);
                pairs[n++] = "amountSat";
                pairs[n++] = amount;
        }
        if (k3 != NULL && v3 != NULL && v3[0] != '\0') {
                pairs[n++] = k3;
                pairs[n++] = v3;
        }
        pairs[n] = NULL;
        return httpc_form(pairs);
}

char *
phoenixd_payinvoice_form(const char *invoice, int64_t amount_sat)
{
        return phoenixd_form3("invoice", invoice, amount_sat, NULL, NULL);
}

char *
phoenixd_payoffer_form(const char *offer, int64_t amount_sat, const char *message)
{
        return phoenixd_form3("offer", offer, amount_sat, "message", message);
}

char *
phoenixd_paylnaddress_form(const char *address, int64_t amount_sat, const char *message)
{
        /* amountSat is required by paylnaddress: refuse to build without. */
        if (amount_sat < 0)
                return NULL;
        return phoenixd_form3("address", address, amount_sat, "message", message);
}

static const char *
phoenixd_str(const cJSON *obj, const char *key)
{
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
        return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A failure reason that does not prove this attempt paid nothing: phoenixd
 * refuses to pay a hash it already paid or is paying, and that earlier
 * payment may be ours. */
static int
phoenixd_reason_maybe_paid(const char *reason)
{
        return outcome_contains(reason, "already");
}

static int
phoenixd_reason_no_funds(const char *reason)
{
        return outcome_contains(reason, "not enough funds") ||
               outcome_contains(reason, "insufficient") ||
               outcome_contains(reason, "balance too low");
}

/* Checks a preimage against the hash phoenixd reported and the one we expect. */
static enum outcome
phoenixd_take_preimage(const char *preimage, const char *hash, const char *expected,
                       struct payout_result *out)
{
        if (preimage == NULL || !hex_is64(preimage))
                return outcome_set(out, OUTCOME_UNKNOWN, "paid answer without a valid preimage");
        if (expected != NULL && hash != NULL && strcasecmp(expected, hash) != 0)
                return outcome_set(out, OUTCOME_UNKNOWN, "answer is for another payment hash");
        const char *check = expected != NULL ? expected : hash;
        if (check == NULL)
                return outcome_set(out, OUTCOME_UNKNOWN, "paid answer without a payment hash");
        if (!outcome_preimage_matches(preimage, check))
                return outcome_set(out, OUTCOME_UNKNOWN,
                                   "preimage does not hash to the payment hash");
        hex_copy64(out->proof, preimage);
        hex_copy64(out->payment_hash, check);
        return OUTCOME_SUCCEEDED;
}

static enum outcome
phoenixd_classify_200(const struct httpc_response *resp, const char *expected,
                      struct payout_result *out)
{
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        enum outcome o;
        if (!cJSON_IsObject(root)) {
                cJSON_Delete(root);
                return outcome_set(out, OUTCOME_UNKNOWN, "phoenixd answered 200 with no object");
        }
        const char *preimage = phoenixd_str(root, "paymentPreimage");
        const char *hash = phoenixd_str(root, "paymentHash");
        const char *reason = phoenixd_str(root, "reason");
        const char *id = phoenixd_str(root, "paymentId");
        if (id != NULL && strlen(id) < sizeof(out->payment_id))
                snprintf(out->payment_id, sizeof(out->payment_id), "%s", id);
        if (hash != NULL)
                hex_copy64(out->payment_hash, hash);
        if (preimage != NULL) {
                /* PaymentSent. */
                o = phoenixd_take_preimage(preimage, hash, expected, out);
                if (o == OUTCOME_SUCCEEDED) {
                        int64_t fee;
                        char err[64];
                        const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "routingFeeSat");
                        if (amount_from_json(f, 0, &fee, err, sizeof(err)) == 0) {
                                out->fee_sats = fee;
                                outcome_set(out, o, "paid");
                        } else {
                                outcome_set(out, o, "paid; routingFeeSat missing or invalid");
                        }
                }
        } else if (reason != NULL && (hash != NULL || phoenixd_str(root, "offerId") != NULL)) {
                /* PaymentFailed: phoenixd answers it when the attempt has
                 * ended without paying. */
                if (expected != NULL && hash != NULL && strcasecmp(expected, hash) != 0)
                        o = outcome_set(out, OUTCOME_UNKNOWN, "answer is for another payment hash");
                else if (phoenixd_reason_maybe_paid(reason))
                        o = outcome_set(out, OUTCOME_UNKNOWN, "phoenixd: %s", reason);
                else if (phoenixd_reason_no_funds(reason))
                        o = outcome_set(out, OUTCOME_DEFERRED, "phoenixd: %s", reason);
                else
                        o = outcome_set(out, OUTCOME_FAILED, "phoenixd: %s", reason);
        } else {
                o = outcome_set(out, OUTCOME_UNKNOWN,
                                "phoenixd answered 200 with neither "
                                "PaymentSent nor PaymentFailed");
        }
        cJSON_Delete(root);
        return o;
}

enum outcome
phoenixd_classify_pay(const struct httpc_response *resp, const char *expected_hash,
                      struct payout_result *out)
{
        char text[200];
        outcome_result_init(out);
        if (resp->err != HTTPC_OK) {
                if (!resp->sent)
                        return outcome_set(out, OUTCOME_DEFERRED, "phoenixd not reached: %s",
                                           resp->errmsg);
                return outcome_set(out, OUTCOME_UNKNOWN, "no answer after sending: %s",
                                   resp->errmsg);
        }
        httpc_excerpt(resp->body, resp->len, text, sizeof(text));
        switch (resp->status) {
        case 200:
                return phoenixd_classify_200(resp, expected_hash, out);
        case 400:
                /* Request validation, before any payment starts. */
                if (outcome_contains(text, "converted to bolt11invoice") ||
                    outcome_contains(text, "converted to offer") ||
                    outcome_contains(text, "converted to username@domain"))
                        return outcome_set(out, OUTCOME_FAILED, "destination refused: %s", text);
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "phoenixd refused the request (needs an operator): %s", text);
        case 401:
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "bad credential (needs an operator): use the full-access "
                                   "http-password");
        case 404:
        case 405:
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "wrong endpoint (needs an operator): HTTP %ld %s", resp->status,
                                   text);
        case 500:
                if (outcome_contains(text, "cannot resolve address"))
                        return outcome_set(out, OUTCOME_FAILED, "%s", text);
                break;
        default:
                break;
        }
        return outcome_set(out, OUTCOME_UNKNOWN, "phoenixd answered HTTP %ld: %s", resp->status,
                           text);
}

/* Fees on payment objects are millisatoshis. A fee that is not a whole
 * number of satoshis is rounded up: the wallet spent at least that much, and
 * a recorded fee must never understate what left. */
static int
phoenixd_fee_msat(const cJSON *item, int64_t *sats)
{
        int64_t msat;
        char err[64];
        if (amount_from_json(item, 0, &msat, err, sizeof(err)) != 0)
                return -1;
        if (amount_msat_to_sat(msat, sats) == 0)
                return 0;
        *sats = msat / 1000 + 1;
        return *sats <= AMOUNT_MAX_SATS ? 0 : -1;
}

enum outcome
phoenixd_classify_lookup(const struct httpc_response *resp, const char *expected_hash,
                         struct payout_result *out)
{
        char text[200];
        enum outcome o;
        outcome_result_init(out);
        if (resp->err != HTTPC_OK)
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup failed: %s", resp->errmsg);
        httpc_excerpt(resp->body, resp->len, text, sizeof(text));
        if (resp->status == 404 && strcmp(text, "Not found") == 0)
                return outcome_set(out, OUTCOME_NOT_FOUND, "phoenixd has no such payment");
        if (resp->status != 200)
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup answered HTTP %ld: %s",
                                   resp->status, text);
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        if (!cJSON_IsObject(root)) {
                cJSON_Delete(root);
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup answer is not an object");
        }
        const char *hash = phoenixd_str(root, "paymentHash");
        const char *id = phoenixd_str(root, "paymentId");
        const cJSON *paid = cJSON_GetObjectItemCaseSensitive(root, "isPaid");
        const cJSON *completed = cJSON_GetObjectItemCaseSensitive(root, "completedAt");
        if (id != NULL && strlen(id) < sizeof(out->payment_id))
                snprintf(out->payment_id, sizeof(out->payment_id), "%s", id);
        if (hash != NULL)
                hex_copy64(out->payment_hash, hash);
        if (!cJSON_IsBool(paid)) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "lookup answer without isPaid");
        } else if (cJSON_IsTrue(paid)) {
                o = phoenixd_take_preimage(phoenixd_str(root, "preimage"), hash, expected_hash,
                                           out);
                if (o == OUTCOME_SUCCEEDED) {
                        int64_t fee;
                        if (phoenixd_fee_msat(cJSON_GetObjectItemCaseSensitive(root, "fees"),
                                              &fee) == 0) {
                                out->fee_sats = fee;
                                outcome_set(out, o, "paid");
                        } else {
                                outcome_set(out, o, "paid; fees missing or invalid");
                        }
                }
        } else if (completed != NULL && !cJSON_IsNull(completed)) {
                /* Best attempt first (succeeded > pending > failed): a
                 * completed unpaid one means every attempt failed. */
                if (expected_hash != NULL && hash != NULL && strcasecmp(expected_hash, hash) != 0)
                        o = outcome_set(out, OUTCOME_UNKNOWN, "answer is for another payment hash");
                else
                        o = outcome_set(out, OUTCOME_FAILED, "payment failed at phoenixd");
        } else {
                out->in_progress = 1;
                o = outcome_set(out, OUTCOME_UNKNOWN, "payment still pending at phoenixd");
        }
        cJSON_Delete(root);
        return o;
}

enum outcome
phoenixd_lookup_by_hash(const struct config_backend *b, const char *hash, int timeout,
                        struct payout_result *out, long *status)
{
        char url[1024];
        snprintf(url, sizeof(url), "%s/payments/outgoingbyhash/%s", b->url, hash);
        struct httpc_request req = {.method = "GET",
                                    .url = url,
                                    .basic_user = "",
                                    .basic_password = b->full_api_password,
                                    .timeout_secs = timeout};
        struct httpc_response resp;
        httpc_perform(&req, &resp);
        enum outcome o = phoenixd_classify_lookup(&resp, hash, out);
        if (status != NULL)
                *status = resp.err == HTTPC_OK ? resp.status : 0;
        httpc_response_free(&resp);
        return o;
}
