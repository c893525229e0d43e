#include "lnrecv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "amount.h"
#include "hex.h"

static int
lnrecv_err(char *err, size_t errsz, const char *fmt, const char *a)
{
        snprintf(err, errsz, fmt, a);
        return -1;
}

static size_t
lnrecv_utf8_chars(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xC0) != 0x80)
                        n++;
        return n;
}

char *
lnrecv_createinvoice_form(int64_t amount_sat, const char *description, int64_t expiry_seconds,
                          const char *external_id, const char *webhook_url)
{
        char amount[24], expiry[24], hash_hex[65];
        const char *pairs[16];
        size_t n = 0;
        if (description == NULL)
                description = "";
        if (lnrecv_utf8_chars(description) <= LNRECV_DESCRIPTION_MAX) {
                pairs[n++] = "description";
                pairs[n++] = description;
        } else {
                unsigned char h[crypto_hash_sha256_BYTES];
                crypto_hash_sha256(h, (const unsigned char *)description, strlen(description));
                sodium_bin2hex(hash_hex, sizeof(hash_hex), h, sizeof(h));
                pairs[n++] = "descriptionHash";
                pairs[n++] = hash_hex;
        }
        snprintf(amount, sizeof(amount), "%lld", (long long)amount_sat);
        snprintf(expiry, sizeof(expiry), "%lld", (long long)expiry_seconds);
        pairs[n++] = "amountSat";
        pairs[n++] = amount;
        pairs[n++] = "expirySeconds";
        pairs[n++] = expiry;
        if (external_id != NULL) {
                pairs[n++] = "externalId";
                pairs[n++] = external_id;
        }
        if (webhook_url != NULL) {
                pairs[n++] = "webhookUrl";
                pairs[n++] = webhook_url;
        }
        pairs[n] = NULL;
        return httpc_form(pairs);
}

/* An answer that is not 200 JSON: say what phoenixd said. */
static int
lnrecv_http_err(const struct httpc_response *resp, char *err, size_t errsz)
{
        char text[161];
        httpc_excerpt(resp->body, resp->len, text, sizeof(text));
        if (resp->status == 401)
                snprintf(err, errsz, "phoenixd refused the limited password (HTTP 401)");
        else
                snprintf(err, errsz, "phoenixd answered HTTP %ld: %s", resp->status, text);
        return -1;
}

int
lnrecv_parse_created(const struct httpc_response *resp, struct lnrecv_invoice *out, char *err,
                     size_t errsz)
{
        memset(out, 0, sizeof(*out));
        if (resp->status != 200)
                return lnrecv_http_err(resp, err, errsz);
        cJSON *root = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "paymentHash");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "serialized");
        int rc = -1;
        if (!cJSON_IsString(h) || !hex_is64(h->valuestring) || !cJSON_IsString(s) ||
            strncasecmp(s->valuestring, "ln", 2) != 0) {
                lnrecv_err(err, errsz, "createinvoice: %s",
                           "no paymentHash and serialized invoice");
        } else if ((out->bolt11 = strdup(s->valuestring)) == NULL) {
                lnrecv_err(err, errsz, "createinvoice: %s", "out of memory");
        } else {
                hex_copy64(out->payment_hash, h->valuestring);
                rc = 0;
        }
        cJSON_Delete(root);
        return rc;
}

/* An integral, non-negative JSON number within the amount range, else -1. */
static int64_t
lnrecv_int(const cJSON *obj, const char *key, int64_t fallback)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (v == NULL || cJSON_IsNull(v))
                return fallback;
        int64_t x;
        char e[64];
        if (amount_from_json(v, 0, &x, e, sizeof(e)) != 0)
                return -1;
        return x;
}

int
lnrecv_parse_incoming(const struct httpc_response *resp, const char *payment_hash,
                      struct lnrecv_incoming *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof(*out));
        if (resp->status == 404)
                return 1;
        if (resp->status != 200)
                return lnrecv_http_err(resp, err, errsz);
        cJSON *root = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
        int rc = -1;
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "paymentHash");
        const cJSON *paid = cJSON_GetObjectItemCaseSensitive(root, "isPaid");
        const cJSON *ext = cJSON_GetObjectItemCaseSensitive(root, "externalId");
        if (!cJSON_IsObject(root) || !cJSON_IsString(h) ||
            strcasecmp(h->valuestring, payment_hash) != 0) {
                lnrecv_err(err, errsz, "incoming payment %.64s: the answer is for another hash",
                           payment_hash);
                goto out;
        }
        if (!cJSON_IsBool(paid)) {
                lnrecv_err(err, errsz, "incoming payment %.64s: no isPaid", payment_hash);
                goto out;
        }
        out->paid = cJSON_IsTrue(paid);
        out->expired = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "isExpired"));
        out->received_sat = lnrecv_int(root, "receivedSat", 0);
        out->fees_msat = lnrecv_int(root, "fees", 0);
        if (out->received_sat < 0 || out->fees_msat < 0 || (out->paid && out->received_sat == 0)) {
                lnrecv_err(err, errsz, "incoming payment %.64s: receivedSat or fees unreadable",
                           payment_hash);
                goto out;
        }
        if (cJSON_IsString(ext))
                snprintf(out->external_id, sizeof(out->external_id), "%s", ext->valuestring);
        rc = 0;
out:
        cJSON_Delete(root);
        return rc;
}

int
lnrecv_parse_getinfo(const struct httpc_response *resp, char *chain, size_t chainsz, char *err,
                     size_t errsz)
{
        if (resp->status != 200)
                return lnrecv_http_err(resp, err, errsz);
        cJSON *root = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "chain");
        int rc = -1;
        if (cJSON_IsString(c)) {
                snprintf(chain, chainsz, "%s", c->valuestring);
                rc = 0;
        } else {
                lnrecv_err(err, errsz, "getinfo: %s", "the answer has no chain");
        }
        cJSON_Delete(root);
        return rc;
}

int
lnrecv_chain_matches(const char *chain, const char *network)
{
        if (chain == NULL || network == NULL)
                return 0;
        if (strcasecmp(network, "testnet") == 0)
                return strncasecmp(chain, "testnet", 7) == 0;
        return strcasecmp(chain, network) == 0;
}

static int
lnrecv_perform(const struct lnrecv *ln, const char *method, const char *path, const char *form,
               struct httpc_response *resp, char *err, size_t errsz)
{
        char url[1024];
        if (snprintf(url, sizeof(url), "%s%s", ln->url, path) >= (int)sizeof(url))
                return lnrecv_err(err, errsz, "%s: the URL is too long", path);
        struct httpc_request req = {.method = method,
                                    .url = url,
                                    .basic_user = "",
                                    .basic_password = ln->password ? ln->password : "",
                                    .connect_timeout_secs = 5,
                                    .timeout_secs = ln->timeout_secs > 0 ? ln->timeout_secs : 10};
        if (form != NULL) {
                req.content_type = "application/x-www-form-urlencoded";
                req.body = form;
                req.body_len = strlen(form);
        }
        if (httpc_perform(&req, resp) != 0) {
                snprintf(err, errsz, "phoenixd %s: %s", path, resp->errmsg);
                return -1;
        }
        return 0;
}

int
lnrecv_create_invoice(const struct lnrecv *ln, int64_t amount_sat, const char *description,
                      int64_t expiry_seconds, const char *external_id, const char *webhook_url,
                      struct lnrecv_invoice *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof(*out));
        char *form = lnrecv_createinvoice_form(amount_sat, description, expiry_seconds, external_id,
                                               webhook_url);
        if (form == NULL)
                return lnrecv_err(err, errsz, "createinvoice: %s", "out of memory");
        struct httpc_response resp;
        int rc = lnrecv_perform(ln, "POST", "/createinvoice", form, &resp, err, errsz);
        free(form);
        if (rc == 0)
                rc = lnrecv_parse_created(&resp, out, err, errsz);
        httpc_response_free(&resp);
        return rc;
}

int
lnrecv_incoming(const struct lnrecv *ln, const char *payment_hash, struct lnrecv_incoming *out,
                char *err, size_t errsz)
{
        char path[128];
        memset(out, 0, sizeof(*out));
        if (!hex_is64(payment_hash))
                return lnrecv_err(err, errsz, "%s: not a payment hash", "incoming");
        snprintf(path, sizeof(path), "/payments/incoming/%s", payment_hash);
        struct httpc_response resp;
        int rc = lnrecv_perform(ln, "GET", path, NULL, &resp, err, errsz);
        if (rc == 0)
                rc = lnrecv_parse_incoming(&resp, payment_hash, out, err, errsz);
        httpc_response_free(&resp);
        return rc;
}

int
lnrecv_getinfo(const struct lnrecv *ln, char *chain, size_t chainsz, char *err, size_t errsz)
{
        struct httpc_response resp;
        int rc = lnrecv_perform(ln, "GET", "/getinfo", NULL, &resp, err, errsz);
        if (rc == 0)
                rc = lnrecv_parse_getinfo(&resp, chain, chainsz, err, errsz);
        httpc_response_free(&resp);
        return rc;
}

int
lnrecv_password_is_full(const struct lnrecv *ln, char *err, size_t errsz)
{
        struct httpc_response resp;
        /* No invoice parameter: phoenixd checks the password first (401 for
         * the limited one), then refuses the missing parameter. Nothing can
         * be paid by this request. */
        int rc = lnrecv_perform(ln, "POST", "/payinvoice", "", &resp, err, errsz);
        if (rc == 0) {
                if (resp.status == 401)
                        rc = 0;
                else if (resp.status == 400)
                        rc = 1;
                else
                        rc = lnrecv_http_err(&resp, err, errsz);
        }
        httpc_response_free(&resp);
        return rc;
}

void
lnrecv_invoice_free(struct lnrecv_invoice *inv)
{
        free(inv->bolt11);
        inv->bolt11 = NULL;
}

int
lnrecv_webhook_verify(const char *secret, const char *body, size_t len, const char *sig_hex)
{
        unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
        size_t glen = 0;
        if (secret == NULL || secret[0] == '\0' || sig_hex == NULL ||
            strlen(sig_hex) != 2 * sizeof(got) ||
            sodium_hex2bin(got, sizeof(got), sig_hex, strlen(sig_hex), NULL, &glen, NULL) != 0 ||
            glen != sizeof(got))
                return -1;
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
        crypto_auth_hmacsha256_final(&st, want);
        sodium_memzero(&st, sizeof(st));
        return sodium_memcmp(want, got, sizeof(want)) == 0 ? 0 : -1;
}

int
lnrecv_webhook_hash(const char *body, size_t len, char hash[65])
{
        cJSON *root = cJSON_ParseWithLength(body, len);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "paymentHash");
        int rc = -1;
        if (cJSON_IsString(t) && strcmp(t->valuestring, "payment_received") == 0 &&
            cJSON_IsString(h) && hex_is64(h->valuestring)) {
                hex_copy64(hash, h->valuestring);
                rc = 0;
        }
        cJSON_Delete(root);
        return rc;
}
