/* phoenixd, receive side (common/lnrecv.c): the createinvoice form, the
 * parsers of phoenixd's answers as phoenixd 0.8.0 writes them (pretty-printed,
 * null fields left out), the chain check and the webhook signature
 * (BACKENDS.md, "phoenixd"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lnrecv.h"

#define HASH1 "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"
#define HASH2 "75877bb41d393b5fb8455ce60ecd8dda001d06316496b14dfa7f895656eeca4a"
#define BOLT11                                                                                     \
        "lnbcrt10u1pjqqqqqpp5wtxkapzzcsrlkmgfs6g0zyct0hkhashlaxcc6z7e65slq9fkx7fsdq8w3jhxaqcqzzs"

static struct httpc_response
resp(long status, const char *body)
{
        struct httpc_response r = {0};
        r.status = status;
        r.body = (char *)body;
        r.len = body ? strlen(body) : 0;
        r.sent = 1;
        return r;
}

/* ---- createinvoice form */

static void
form_short_description(void **state)
{
        (void)state;
        char *f = lnrecv_createinvoice_form(1500, "order 42", 3600, NULL, NULL);
        assert_non_null(f);
        assert_string_equal(f, "description=order%2042&amountSat=1500&expirySeconds=3600");
        free(f);
}

static void
form_long_description_goes_as_hash(void **state)
{
        (void)state;
        char desc[130];
        memset(desc, 'a', 129);
        desc[129] = '\0';
        char *f = lnrecv_createinvoice_form(1, desc, 60, NULL, NULL);
        assert_non_null(f);
        assert_null(strstr(f, "description="));
        assert_non_null(strstr(f, "descriptionHash=c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef63"
                                  "29ee994a3db752166ae&"));
        free(f);
        desc[128] = '\0'; /* exactly 128 characters: still the description */
        f = lnrecv_createinvoice_form(1, desc, 60, NULL, NULL);
        assert_non_null(strstr(f, "description=aaaa"));
        assert_null(strstr(f, "descriptionHash"));
        free(f);
}

static void
form_utf8_counts_characters(void **state)
{
        (void)state;
        /* 100 two-byte characters: 200 bytes but 100 characters. */
        char desc[201];
        for (int i = 0; i < 100; i++)
                memcpy(desc + 2 * i, "\xc3\xa9", 2);
        desc[200] = '\0';
        char *f = lnrecv_createinvoice_form(1, desc, 60, NULL, NULL);
        assert_non_null(strstr(f, "description=%C3%A9"));
        free(f);
}

static void
form_external_id_and_webhook(void **state)
{
        (void)state;
        char *f = lnrecv_createinvoice_form(2000, NULL, 600, "inv_7",
                                            "https://pay.example.com/v1/webhooks/phoenixd/main");
        assert_string_equal(f, "description=&amountSat=2000&expirySeconds=600&externalId=inv_7&"
                               "webhookUrl=https%3A%2F%2Fpay.example.com%2Fv1%2Fwebhooks%2F"
                               "phoenixd%2Fmain");
        free(f);
        f = lnrecv_createinvoice_form(2000, "x", 600, NULL, "http://h/w");
        assert_null(strstr(f, "externalId"));
        assert_non_null(strstr(f, "&webhookUrl=http%3A%2F%2Fh%2Fw"));
        free(f);
}

/* ---- createinvoice answer */

static void
created_parsed(void **state)
{
        (void)state;
        struct lnrecv_invoice inv;
        char err[200];
        struct httpc_response r = resp(200, "{\n"
                                            "    \"amountSat\": 1000,\n"
                                            "    \"paymentHash\": \"" HASH1 "\",\n"
                                            "    \"serialized\": \"" BOLT11 "\"\n"
                                            "}");
        assert_int_equal(lnrecv_parse_created(&r, &inv, err, sizeof(err)), 0);
        assert_string_equal(inv.payment_hash, HASH1);
        assert_string_equal(inv.bolt11, BOLT11);
        lnrecv_invoice_free(&inv);
        assert_null(inv.bolt11);
}

static void
created_upper_hash_lowered_and_bad_answers(void **state)
{
        (void)state;
        struct lnrecv_invoice inv;
        char err[200];
        struct httpc_response r =
            resp(200, "{\n    \"paymentHash\": "
                      "\"72CD6E8422C407FB6D098690F1130B7DED7EC2F7F5E1D30BD9D52"
                      "1F015363793\",\n    \"serialized\": \"" BOLT11 "\"\n}");
        assert_int_equal(lnrecv_parse_created(&r, &inv, err, sizeof(err)), 0);
        assert_string_equal(inv.payment_hash, HASH1);
        lnrecv_invoice_free(&inv);

        r = resp(200, "{\n    \"paymentHash\": \"" HASH1 "\"\n}");
        assert_int_equal(lnrecv_parse_created(&r, &inv, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "createinvoice"));
        assert_null(inv.bolt11);

        r = resp(401, "Invalid authentication (use basic auth with the http password set in "
                      "phoenix.conf)");
        assert_int_equal(lnrecv_parse_created(&r, &inv, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "401"));

        r = resp(400, "Request parameter amountSat couldn't be parsed/converted to integer");
        assert_int_equal(lnrecv_parse_created(&r, &inv, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "HTTP 400: Request parameter amountSat"));
}

/* ---- payments/incoming/{hash} */

static const char INCOMING_PAID[] = "{\n"
                                    "    \"type\": \"incoming_payment\",\n"
                                    "    \"subType\": \"lightning\",\n"
                                    "    \"paymentHash\": \"" HASH1 "\",\n"
                                    "    \"preimage\": \"" HASH2 "\",\n"
                                    "    \"externalId\": \"inv_42\",\n"
                                    "    \"description\": \"order 42\",\n"
                                    "    \"invoice\": \"" BOLT11 "\",\n"
                                    "    \"isPaid\": true,\n"
                                    "    \"isExpired\": false,\n"
                                    "    \"requestedSat\": 1000,\n"
                                    "    \"receivedSat\": 1000,\n"
                                    "    \"fees\": 3000,\n"
                                    "    \"expiresAt\": 1712154000000,\n"
                                    "    \"completedAt\": 1712150400000,\n"
                                    "    \"createdAt\": 1712150000000\n"
                                    "}";

static void
incoming_paid(void **state)
{
        (void)state;
        struct lnrecv_incoming in;
        char err[200];
        struct httpc_response r = resp(200, INCOMING_PAID);
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), 0);
        assert_true(in.paid);
        assert_false(in.expired);
        assert_int_equal(in.received_sat, 1000);
        assert_int_equal(in.fees_msat, 3000);
        assert_string_equal(in.external_id, "inv_42");
}

static void
incoming_unpaid_without_optional_fields(void **state)
{
        (void)state;
        struct lnrecv_incoming in;
        char err[200];
        /* Not paid yet: no completedAt, no externalId (nulls are left out). */
        struct httpc_response r = resp(200, "{\n"
                                            "    \"type\": \"incoming_payment\",\n"
                                            "    \"subType\": \"lightning\",\n"
                                            "    \"paymentHash\": \"" HASH1 "\",\n"
                                            "    \"preimage\": \"" HASH2 "\",\n"
                                            "    \"isPaid\": false,\n"
                                            "    \"isExpired\": true,\n"
                                            "    \"receivedSat\": 0,\n"
                                            "    \"fees\": 0,\n"
                                            "    \"createdAt\": 1712150000000\n"
                                            "}");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), 0);
        assert_false(in.paid);
        assert_true(in.expired);
        assert_int_equal(in.received_sat, 0);
        assert_string_equal(in.external_id, "");
}

static void
incoming_not_found(void **state)
{
        (void)state;
        struct lnrecv_incoming in;
        char err[200];
        struct httpc_response r = resp(404, "Not found");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), 1);
}

static void
incoming_refused(void **state)
{
        (void)state;
        struct lnrecv_incoming in;
        char err[200];
        /* The answer is about another payment. */
        struct httpc_response r = resp(200, INCOMING_PAID);
        assert_int_equal(lnrecv_parse_incoming(&r, HASH2, &in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, HASH2));
        assert_non_null(strstr(err, "another hash"));

        r = resp(200, "{\n    \"paymentHash\": \"" HASH1 "\",\n    \"receivedSat\": 1000\n}");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "isPaid"));

        /* Amounts are integer satoshis: a fraction is refused, never rounded. */
        r = resp(200, "{\n    \"paymentHash\": \"" HASH1 "\",\n    \"isPaid\": true,\n"
                      "    \"receivedSat\": 1000.5,\n    \"fees\": 0\n}");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "receivedSat"));

        r = resp(200, "{\n    \"paymentHash\": \"" HASH1 "\",\n    \"isPaid\": true,\n"
                      "    \"receivedSat\": -5,\n    \"fees\": 0\n}");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);

        r = resp(200, "{\n    \"paymentHash\": \"" HASH1 "\",\n    \"isPaid\": true,\n"
                      "    \"fees\": 0\n}");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);

        r = resp(500, "fake phoenixd: injected internal error");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "HTTP 500"));

        r = resp(200, "not json");
        assert_int_equal(lnrecv_parse_incoming(&r, HASH1, &in, err, sizeof(err)), -1);
}

/* ---- getinfo and the chain */

static void
getinfo_chain(void **state)
{
        (void)state;
        char chain[32], err[200];
        struct httpc_response r = resp(200, "{\n"
                                            "    \"nodeId\": \"02aa\",\n"
                                            "    \"channels\": [\n"
                                            "    ],\n"
                                            "    \"chain\": \"testnet3\",\n"
                                            "    \"blockHeight\": 800000,\n"
                                            "    \"version\": \"0.8.0\"\n"
                                            "}");
        assert_int_equal(lnrecv_parse_getinfo(&r, chain, sizeof(chain), err, sizeof(err)), 0);
        assert_string_equal(chain, "testnet3");

        r = resp(200, "{\n    \"nodeId\": \"02aa\",\n    \"version\": \"0.8.0\"\n}");
        assert_int_equal(lnrecv_parse_getinfo(&r, chain, sizeof(chain), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "chain"));

        r = resp(401, "Invalid authentication (use basic auth with the http password set in "
                      "phoenix.conf)");
        assert_int_equal(lnrecv_parse_getinfo(&r, chain, sizeof(chain), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "401"));
}

static void
chain_matches(void **state)
{
        (void)state;
        assert_int_equal(lnrecv_chain_matches("mainnet", "mainnet"), 1);
        assert_int_equal(lnrecv_chain_matches("testnet3", "testnet"), 1);
        assert_int_equal(lnrecv_chain_matches("testnet4", "testnet"), 1);
        assert_int_equal(lnrecv_chain_matches("signet", "signet"), 1);
        assert_int_equal(lnrecv_chain_matches("regtest", "regtest"), 1);
        assert_int_equal(lnrecv_chain_matches("mainnet", "regtest"), 0);
        assert_int_equal(lnrecv_chain_matches("regtest", "mainnet"), 0);
        assert_int_equal(lnrecv_chain_matches("testnet3", "mainnet"), 0);
        assert_int_equal(lnrecv_chain_matches("signet", "testnet"), 0);
        assert_int_equal(lnrecv_chain_matches(NULL, "mainnet"), 0);
        assert_int_equal(lnrecv_chain_matches("mainnet", NULL), 0);
}

/* ---- the payment_received webhook */

#define WH_SECRET "3f1c0e5a"
#define WH_BODY                                                                                    \
        "{\"type\":\"payment_received\",\"timestamp\":1712150400000,\"amountSat\":1000,"           \
        "\"paymentHash\":\"00\"}"
#define WH_SIG "748e4c4f2ebc5ee19e5a95a8099747d18b08ffe905a185cf8615cab1bbbe0a8f"

static void
webhook_vector(void **state)
{
        (void)state;
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), WH_SIG), 0);
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY),
                                               "748E4C4F2EBC5EE19E5A95A8099747D18B08FFE905A185CF86"
                                               "15CAB1BBBE0A8F"),
                         0);
}

static void
webhook_refused(void **state)
{
        (void)state;
        char sig[] = WH_SIG;
        sig[63] = '9'; /* 0xf -> 0x9: one bit flipped */
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), sig), -1);
        /* the body changed by one byte */
        char body[] = WH_BODY;
        body[strlen(body) - 3] = '1';
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, body, strlen(body), WH_SIG), -1);
        /* wrong lengths, not hex, no secret, another secret */
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY),
                                               "748e4c4f2ebc5ee19e5a95a8099747d18b08ffe905a185cf86"
                                               "15cab1bbbe0a"),
                         -1);
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), WH_SIG "00"),
                         -1);
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), ""), -1);
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), NULL), -1);
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY),
                                               "zz8e4c4f2ebc5ee19e5a95a8099747d18b08ffe905a185cf86"
                                               "15cab1bbbe0a8f"),
                         -1);
        assert_int_equal(lnrecv_webhook_verify("", WH_BODY, strlen(WH_BODY), WH_SIG), -1);
        assert_int_equal(lnrecv_webhook_verify("3f1c0e5b", WH_BODY, strlen(WH_BODY), WH_SIG), -1);
        /* the secret's bytes as written, not hex-decoded */
        unsigned char raw[4] = {0x3f, 0x1c, 0x0e, 0x5a};
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char hex[65];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, raw, sizeof(raw));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)WH_BODY, strlen(WH_BODY));
        crypto_auth_hmacsha256_final(&st, mac);
        sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
        assert_int_equal(lnrecv_webhook_verify(WH_SECRET, WH_BODY, strlen(WH_BODY), hex), -1);
}

static void
webhook_hash(void **state)
{
        (void)state;
        char hash[65];
        /* as phoenixd sends it: pretty-printed, nulls kept */
        const char *body = "{\n"
                           "    \"type\": \"payment_received\",\n"
                           "    \"timestamp\": 1712150400000,\n"
                           "    \"amountSat\": 1000,\n"
                           "    \"paymentHash\": \"72CD6E8422C407FB6D098690F1130B7DED7EC2F7F5E1D30B"
                           "D9D521F015363793\",\n"
                           "    \"externalId\": \"inv_42\",\n"
                           "    \"payerNote\": null,\n"
                           "    \"payerKey\": null\n"
                           "}";
        assert_int_equal(lnrecv_webhook_hash(body, strlen(body), hash), 0);
        assert_string_equal(hash, HASH1);
        /* the test vector's hash "00" is not a payment hash */
        assert_int_equal(lnrecv_webhook_hash(WH_BODY, strlen(WH_BODY), hash), -1);
        const char *other = "{\"type\":\"payment_sent\",\"paymentHash\":\"" HASH1 "\"}";
        assert_int_equal(lnrecv_webhook_hash(other, strlen(other), hash), -1);
        const char *nohash = "{\"type\":\"payment_received\",\"amountSat\":1}";
        assert_int_equal(lnrecv_webhook_hash(nohash, strlen(nohash), hash), -1);
        assert_int_equal(lnrecv_webhook_hash("[", 1, hash), -1);
}

int
main(void)
{
        if (sodium_init() < 0)
                return 1;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(form_short_description),
            cmocka_unit_test(form_long_description_goes_as_hash),
            cmocka_unit_test(form_utf8_counts_characters),
            cmocka_unit_test(form_external_id_and_webhook),
            cmocka_unit_test(created_parsed),
            cmocka_unit_test(created_upper_hash_lowered_and_bad_answers),
            cmocka_unit_test(incoming_paid),
            cmocka_unit_test(incoming_unpaid_without_optional_fields),
            cmocka_unit_test(incoming_not_found),
            cmocka_unit_test(incoming_refused),
            cmocka_unit_test(getinfo_chain),
            cmocka_unit_test(chain_matches),
            cmocka_unit_test(webhook_vector),
            cmocka_unit_test(webhook_refused),
            cmocka_unit_test(webhook_hash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
