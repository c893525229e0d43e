#include "phoenixd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "hex.h"
#include "journal.h"
#include "lnrecv.h"
#include "payable.h"

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

/* GET /payments/outgoingbyhash/{hash} with b's password (a lookup pays
 * nothing), classified as phoenixd_classify_lookup does, into out; the
 * answer's HTTP status into *status when not NULL (0: no answer). */
static enum outcome
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

/* --- the payout backend (executor/backend.h) --- */

static int
phoenixd_supports(const struct dest *d, char *why, size_t whysz)
{
        return payable_check("phoenixd", d->type, why, whysz);
}

/* payinvoice (bolt11), payoffer or paylnaddress with the full password. */
static enum outcome
phoenixd_pay(const struct payout_call *call, struct payout_result *out)
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

/* phoenixd keeps every outgoing payment by hash: a bolt11 refund's hash was
 * recorded at the claim. A 404 is phoenixd saying it never started it. */
static enum outcome
phoenixd_lookup(const struct payout_lookup *q, struct payout_result *out)
{
        if (q->payment_hash == NULL)
                return outcome_not_lookable(out, "phoenixd", q->destination_type);
        if (phoenixd_lookup_by_hash(q->backend, q->payment_hash, q->timeout_seconds, out, NULL) ==
            OUTCOME_NOT_FOUND)
                outcome_set(out, OUTCOME_FAILED,
                            "phoenixd has no payment with this hash: nothing was sent");
        return out->outcome;
}

/* Second line: an outgoing payment of a bolt11's hash. */
static void
phoenixd_already_paid(const struct config_backend *b, int timeout, struct payout_prior *c, int n)
{
        for (int i = 0; i < n; i++) {
                if (c[i].dest->type != DEST_BOLT11)
                        continue;
                struct payout_result r, *pre = c[i].pre;
                long status = 0;
                enum outcome o =
                    phoenixd_lookup_by_hash(b, c[i].dest->payment_hash, timeout, &r, &status);
                if (o == OUTCOME_SUCCEEDED) {
                        *pre = r;
                        outcome_set(pre, OUTCOME_SUCCEEDED,
                                    "already paid: phoenixd has an outgoing payment of this "
                                    "invoice; not paid again");
                } else if (o == OUTCOME_UNKNOWN && status == 200) {
                        *pre = r;
                        outcome_set(pre, OUTCOME_UNKNOWN,
                                    "phoenixd has a payment of this invoice in progress: not paid "
                                    "again; reconcile settles it");
                } else if (o != OUTCOME_NOT_FOUND && o != OUTCOME_FAILED) {
                        outcome_set(pre, OUTCOME_DEFERRED,
                                    "cannot ask phoenixd whether it was already paid (%s): not "
                                    "sent, back to pending",
                                    r.reason);
                }
        }
}

/* The journal's paid refunds with a payment hash, looked up. */
static void
phoenixd_audit(const struct payout_audit *a)
{
        for (size_t i = 0; i < journal_count(a->journal); i++) {
                const struct journal_entry *e = journal_at(a->journal, i);
                if (e->state != JOURNAL_SUCCEEDED || e->payment_hash[0] == '\0' ||
                    strcmp(e->store, a->store->id) != 0 || strcmp(e->backend, a->role) != 0)
                        continue;
                struct payout_result res;
                enum outcome o = phoenixd_lookup_by_hash(a->backend, e->payment_hash,
                                                         a->timeout_seconds, &res, NULL);
                if (o != OUTCOME_SUCCEEDED)
                        a->say(a->ctx, a->store->id, e->id,
                               o == OUTCOME_NOT_FOUND
                                   ? "paid in the journal, but phoenixd has no such payment"
                                   : "paid in the journal, phoenixd does not confirm it");
        }
}

/* GET /getbalance with the full password: {balanceSat, feeCreditSat}.
 * 0 with both, or -1 with why. */
static int
phoenixd_balance(const struct config_backend *b, int64_t *sat, int64_t *credit, char *why,
                 size_t whysz)
{
        char url[1024], e[128];
        snprintf(url, sizeof(url), "%s/getbalance", b->url);
        struct httpc_request req = {.method = "GET",
                                    .url = url,
                                    .basic_user = "",
                                    .basic_password = b->full_api_password,
                                    .timeout_secs = 10};
        struct httpc_response resp;
        int rc = -1;
        cJSON *root = NULL;
        if (httpc_perform(&req, &resp) != 0)
                snprintf(why, whysz, "%s", resp.errmsg);
        else if (resp.status != 200)
                snprintf(why, whysz, "HTTP %ld", resp.status);
        else if ((root = cJSON_Parse(resp.body ? resp.body : "")) == NULL ||
                 amount_from_json(cJSON_GetObjectItemCaseSensitive(root, "balanceSat"), 0, sat, e,
                                  sizeof(e)) != 0 ||
                 amount_from_json(cJSON_GetObjectItemCaseSensitive(root, "feeCreditSat"), 0, credit,
                                  e, sizeof(e)) != 0)
                snprintf(why, whysz, "no balanceSat and feeCreditSat in the answer");
        else
                rc = 0;
        cJSON_Delete(root);
        httpc_response_free(&resp);
        return rc;
}

/* getinfo and getbalance with the full password (both read-only), on the
 * store's chain. */
static int
phoenixd_check(const struct config_store *s, const struct config_backend *b, FILE *out, FILE *err)
{
        struct lnrecv ln = {.url = b->url, .password = b->full_api_password, .timeout_secs = 10};
        char chain[64], e[320];
        int64_t sat = 0, credit = 0;
        if (b->full_api_password == NULL) {
                fprintf(err,
                        "store %s: lightning_payout phoenixd %s: ERROR full_api_password_env is "
                        "not set: refunds cannot be paid\n",
                        s->id, b->url);
                return 1;
        }
        if (lnrecv_getinfo(&ln, chain, sizeof(chain), e, sizeof(e)) != 0) {
                fprintf(err, "store %s: lightning_payout phoenixd %s: ERROR getinfo: %s\n", s->id,
                        b->url, e);
                return 1;
        }
        if (!lnrecv_chain_matches(chain, s->network)) {
                fprintf(err,
                        "store %s: lightning_payout phoenixd %s: ERROR phoenixd runs on chain "
                        "%.40s but the store's network is %s\n",
                        s->id, b->url, chain, s->network);
                return 1;
        }
        if (phoenixd_balance(b, &sat, &credit, e, sizeof(e)) != 0) {
                fprintf(err, "store %s: lightning_payout phoenixd %s: ERROR getbalance: %s\n",
                        s->id, b->url, e);
                return 1;
        }
        fprintf(out,
                "store %s: lightning_payout phoenixd %s: ok (chain %.40s, balance %lld sats, fee "
                "credit %lld sats)\n",
                s->id, b->url, chain, (long long)sat, (long long)credit);
        return 0;
}

const struct payout_backend phoenixd_backend = {
    .name = "phoenixd",
    .supports = phoenixd_supports,
    .pay = phoenixd_pay,
    .lookup = phoenixd_lookup,
    .already_paid = phoenixd_already_paid,
    .audit = phoenixd_audit,
    .check = phoenixd_check,
};
