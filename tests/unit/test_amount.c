/* Amounts: satoshis from JSON, the raw-body number check, BTC text for and
 * from bitcoind, msat to sat. Every expectation is an exact value or an exact
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parses body, takes "v" and runs amount_from_json on it. */
static int
from_body(const char *body, int64_t min, int64_t *out, char *err, size_t errsz)
{
        cJSON *root = cJSON_Parse(body);
        if (root == NULL)
                fail_msg("cJSON cannot parse %s", body);
        int r = amount_from_json(cJSON_GetObjectItemCaseSensitive(root, "v"), min, out, err, errsz);
        cJSON_Delete(root);
        return r;
}

static void
expect_json_ok(const char *body, int64_t min, int64_t want)
{
        int64_t v = -12345;
        char err[128] = "";
        if (from_body(body, min, &v, err, sizeof(err)) != 0)
                fail_msg("%s: %s", body, err);
        if (v != want)
                fail_msg("%s: got %lld, want %lld", body, (long long)v, (long long)want);
}

static void
expect_json_err(const char *body, int64_t min, const char *want)
{
        int64_t v = -12345;
        char err[128] = "";
        if (from_body(body, min, &v, err, sizeof(err)) != -1 || strcmp(err, want) != 0)
                fail_msg("%s: err \"%s\", want \"%s\"", body, err, want);
        assert_int_equal(v, -12345); /* untouched on failure */
}

static void
test_from_json_numbers(void **state)
{
        (void)state;
        expect_json_ok("{\"v\": 2000}", 1, 2000);
        expect_json_ok("{\"v\": 1}", 1, 1);
        expect_json_ok("{\"v\": 0}", 0, 0);
        expect_json_ok("{\"v\": -0}", 0, 0);
        expect_json_ok("{\"v\": 2100000000000000}", 1, AMOUNT_MAX_SATS);
        expect_json_ok("{\"v\": 2099999999999999}", 1, AMOUNT_MAX_SATS - 1);
        expect_json_ok("{\"v\": 9007199254740}", 1, 9007199254740LL);
        /* cJSON folds these to integers; amount_check_json_numbers catches
         * them on the raw body. */
        expect_json_ok("{\"v\": 1e3}", 1, 1000);
        expect_json_ok("{\"v\": 1000.0}", 1, 1000);
        expect_json_err("{\"v\": 0}", 1, "must be at least 1");
        expect_json_err("{\"v\": -1}", 0, "must be at least 0");
        expect_json_err("{\"v\": 999}", 1000, "must be at least 1000");
        expect_json_err("{\"v\": 2000.5}", 1, "must be an integer number of satoshis");
        expect_json_err("{\"v\": 0.1}", 0, "must be an integer number of satoshis");
        expect_json_err("{\"v\": -0.5}", 1, "must be an integer number of satoshis");
        expect_json_err("{\"v\": 1e-3}", 0, "must be an integer number of satoshis");
        expect_json_err("{\"v\": 2100000000000001}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": 9007199254740993}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": 1e300}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": -1e300}", 1, "must be at least 1");
        expect_json_err("{\"v\": 9.3e18}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": -9.3e18}", 1, "must be at least 1");
        /* strtod turns 1e999 into infinity */
        expect_json_err("{\"v\": 1e999}", 1, "must be an integer number of satoshis");

        /* Values cJSON cannot produce from text, built directly. */
        int64_t v = 7;
        char err[128];
        cJSON *n = cJSON_CreateNumber(NAN);
        assert_int_equal(amount_from_json(n, 0, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "must be an integer number of satoshis");
        cJSON_Delete(n);
        n = cJSON_CreateNumber(-INFINITY);
        assert_int_equal(amount_from_json(n, 0, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "must be an integer number of satoshis");
        cJSON_Delete(n);
        n = cJSON_CreateNumber(4503599627370495.5); /* 2^52 - 0.5: exact, not integral */
        assert_int_equal(amount_from_json(n, 0, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "must be an integer number of satoshis");
        cJSON_Delete(n);
        assert_int_equal(v, 7);
}

static void
test_from_json_strings(void **state)
{
        (void)state;
        expect_json_ok("{\"v\": \"2000\"}", 1, 2000);
        expect_json_ok("{\"v\": \"0\"}", 0, 0);
        expect_json_ok("{\"v\": \"1\"}", 1, 1);
        expect_json_ok("{\"v\": \"2100000000000000\"}", 1, AMOUNT_MAX_SATS);
        expect_json_err("{\"v\": \"0\"}", 1, "must be at least 1");
        expect_json_err("{\"v\": \"2100000000000001\"}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": \"9999999999999999\"}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": \"12345678901234567\"}", 1, "exceeds 21000000 BTC");
        expect_json_err("{\"v\": \"99999999999999999999999999\"}", 1, "exceeds 21000000 BTC");
        static const char *const bad[] = {
            "\"\"",   "\"00\"",  "\"01\"",  "\" 1\"",   "\"1 \"",    "\"+1\"",
            "\"-1\"", "\"1.0\"", "\"1e3\"", "\"0x10\"", "\"1,000\"", "\"1_000\"",
            "\"١٢\"", "true",    "false",   "null",     "[1]",       "{\"a\": 1}",
        };
        for (size_t i = 0; i < N(bad); i++) {
                char body[64];
                snprintf(body, sizeof(body), "{\"v\": %s}", bad[i]);
                expect_json_err(body, 0, "must be an integer number of satoshis");
        }
        int64_t v = 3;
        char err[64];
        assert_int_equal(amount_from_json(NULL, 0, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "must be an integer number of satoshis");
        cJSON *n = cJSON_CreateNumber(5);
        assert_int_equal(amount_from_json(n, AMOUNT_MAX_SATS + 1, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "invalid minimum amount");
        assert_int_equal(amount_from_json(n, AMOUNT_MAX_SATS, &v, err, sizeof(err)), -1);
        assert_string_equal(err, "must be at least 2100000000000000");
        cJSON_Delete(n);
        assert_int_equal(v, 3);
}

static void
test_format_btc(void **state)
{
        (void)state;
        static const struct {
                int64_t sats;
                const char *text;
        } v[] = {
            {0, "0.00000000"},
            {1, "0.00000001"},
            {2000, "0.00002000"},
            {99999999, "0.99999999"},
            {100000000, "1.00000000"},
            {123456789, "1.23456789"},
            {2099999999999999, "20999999.99999999"},
            {AMOUNT_MAX_SATS, "21000000.00000000"},
        };
        for (size_t i = 0; i < N(v); i++) {
                char buf[AMOUNT_BTC_STRLEN];
                assert_int_equal(amount_format_btc(v[i].sats, buf, sizeof(buf)), 0);
                assert_string_equal(buf, v[i].text);
        }
        char buf[32] = "junk";
        assert_int_equal(amount_format_btc(-1, buf, sizeof(buf)), -1);
        assert_string_equal(buf, "");
        assert_int_equal(amount_format_btc(AMOUNT_MAX_SATS + 1, buf, sizeof(buf)), -1);
        assert_int_equal(amount_format_btc(INT64_MIN, buf, sizeof(buf)), -1);
        /* "0.00002000" needs 11 bytes */
        assert_int_equal(amount_format_btc(2000, buf, 11), 0);
        assert_string_equal(buf, "0.00002000");
        assert_int_equal(amount_format_btc(2000, buf, 10), -1);
        assert_string_equal(buf, "");
        assert_int_equal(amount_format_btc(2000, NULL, 10), -1);
        assert_int_equal(amount_format_btc(2000, buf, 0), -1);
}

static void
test_parse_btc(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                int64_t sats;
        } ok[] = {
            {"0.00002000", 2000},
            {"-0.0001", -10000},
            {"21", 2100000000},
            {"0", 0},
            {"-0", 0},
            {"0.0", 0},
            {"0.1", 10000000},
            {"0.00000001", 1},
            {"-0.00000001", -1},
            {"1.5", 150000000},
            {"12.3456789", 1234567890},
            {"20999999.99999999", 2099999999999999},
            {"21000000", AMOUNT_MAX_SATS},
            {"21000000.00000000", AMOUNT_MAX_SATS},
            {"-21000000", -AMOUNT_MAX_SATS},
        };
        for (size_t i = 0; i < N(ok); i++) {
                int64_t v = 42;
                if (amount_parse_btc(ok[i].text, strlen(ok[i].text), &v) != 0)
                        fail_msg("%s refused", ok[i].text);
                if (v != ok[i].sats)
                        fail_msg("%s: got %lld", ok[i].text, (long long)v);
        }
        static const char *const bad[] = {
            "",
            "-",
            ".",
            "1.",
            ".5",
            "-.5",
            "01",
            "00.1",
            "-01",
            "+1",
            " 1",
            "1 ",
            "1,0",
            "1e-8",
            "1E2",
            "0.1e1",
            "1.000000001",
            "0.000000001",
            "21000000.00000001",
            "-21000000.00000001",
            "99999999",
            "123456789",
            "100000000.0",
            "0x10",
            "--1",
            "1.2.3",
            "NaN",
            "Infinity",
            "\"1\"",
            "1.00000000 ",
            "1\n",
        };
        for (size_t i = 0; i < N(bad); i++) {
                int64_t v = 42;
                if (amount_parse_btc(bad[i], strlen(bad[i]), &v) != -1)
                        fail_msg("\"%s\" accepted as %lld", bad[i], (long long)v);
                assert_int_equal(v, 42);
        }
        int64_t v = 0;
        /* Only len bytes are read: the text sits inside a larger JSON buffer. */
        assert_int_equal(amount_parse_btc("0.5,\"fee\":1", 3, &v), 0);
        assert_int_equal(v, 50000000);
        assert_int_equal(amount_parse_btc("12", 1, &v), 0);
        assert_int_equal(v, 100000000);
        assert_int_equal(amount_parse_btc("0.", 2, &v), -1);
        assert_int_equal(amount_parse_btc(NULL, 0, &v), -1);
}

static void
test_btc_round_trip(void **state)
{
        (void)state;
        /* format then parse gives back every value, across the whole range. */
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 200000; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                int64_t sats = (int64_t)(x % (uint64_t)(AMOUNT_MAX_SATS + 1));
                if (i < 1000)
                        sats = i; /* and the small ones, digit by digit */
                char buf[AMOUNT_BTC_STRLEN];
                int64_t back = -1;
                assert_int_equal(amount_format_btc(sats, buf, sizeof(buf)), 0);
                assert_int_equal(amount_parse_btc(buf, strlen(buf), &back), 0);
                if (back != sats)
                        fail_msg("%lld -> %s -> %lld", (long long)sats, buf, (long long)back);
        }
}

static void
test_msat_to_sat(void **state)
{
        (void)state;
        int64_t s = 42;
        assert_int_equal(amount_msat_to_sat(1000, &s), 0);
        assert_int_equal(s, 1);
        assert_int_equal(amount_msat_to_sat(0, &s), 0);
        assert_int_equal(s, 0);
        assert_int_equal(amount_msat_to_sat(250000000, &s), 0);
        assert_int_equal(s, 250000);
        assert_int_equal(amount_msat_to_sat(AMOUNT_MAX_SATS * 1000, &s), 0);
        assert_int_equal(s, AMOUNT_MAX_SATS);
        s = 42;
        static const int64_t bad[] = {1,         999,      1001, 1500,
                                      967878534, -1000,    -1,   AMOUNT_MAX_SATS * 1000 + 1000,
                                      INT64_MAX, INT64_MIN};
        for (size_t i = 0; i < N(bad); i++)
                assert_int_equal(amount_msat_to_sat(bad[i], &s), -1);
        assert_int_equal(s, 42);
}

static void
expect_scan_ok(const char *body)
{
        char err[128] = "";
        if (amount_check_json_numbers(body, err, sizeof(err)) != 0)
                fail_msg("%s: %s", body, err);
}

static void
expect_scan_err(const char *body, const char *want)
{
        char err[128] = "";
        if (amount_check_json_numbers(body, err, sizeof(err)) != -1 || strcmp(err, want) != 0)
                fail_msg("%s: err \"%s\", want \"%s\"", body, err, want);
}

static void
test_scan_amount_keys(void **state)
{
        (void)state;
        expect_scan_ok("{\"amount_sats\": 2000}");
        expect_scan_ok("{\"amount_sats\": 0}");
        expect_scan_ok("{\"amount_sats\": \"2000\"}");
        expect_scan_ok("{\"amount_sats\": \"1.5\"}"); /* a string: amount_from_json refuses it */
        /* cJSON hands "1\u00005" over as "1": escapes in amount strings are refused */
        expect_scan_err("{\"amount_sats\": \"1\\u00005\"}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": [\"\\u0031\"]}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_ok("{\"memo\": \"1\\u00005\"}");
        expect_scan_ok("{\"amount_sats\": null, \"x_sats\": true}");
        expect_scan_ok("{ \"amount_sats\" :\n 5 }");
        expect_scan_err("{\"amount_sats\": 2000.0}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": 2000.5}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": 2e3}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": 2E3}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": 2e+3}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": 0e0}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sats\": -5}", "amount_sats must not be negative");
        /* the range, from the digits, before any double is read */
        expect_scan_ok("{\"amount_sats\": 2100000000000000}");
        expect_scan_ok("{\"amount_sats\": 999999999999999}");
        expect_scan_err("{\"amount_sats\": 2100000000000001}", "amount_sats exceeds 21000000 BTC");
        expect_scan_err("{\"amount_sats\": 9007199254740993}", "amount_sats exceeds 21000000 BTC");
        expect_scan_err("{\"amount_sats\": 10000000000000000000000}",
                        "amount_sats exceeds 21000000 BTC");
        expect_scan_err("{\"x\": {\"refund_sats\": [1, 3000000000000000]}}",
                        "refund_sats exceeds 21000000 BTC");
        expect_scan_err("{\"amount_sats\": -0}", "amount_sats must not be negative");
        expect_scan_err("{\"amount_sats\"\t:\t5.0}",
                        "amount_sats must be an integer number of satoshis");
        /* other keys keep any number */
        expect_scan_ok("{\"amount\": 1.5, \"rate\": -2e-3, \"sats\": 1.5, \"x_sat\": 0.5}");
        expect_scan_ok("{\"amount_sats_note\": 1.5}");
        /* the key is the string before ':', not strings that look like one */
        expect_scan_ok("{\"memo\": \"amount_sats: 1.5\", \"amount_sats\": 10}");
        expect_scan_ok("{\"memo\": \"he said \\\"x_sats\\\": 1.5\", \"n\": 1.5}");
        expect_scan_ok("[\"amount_sats\", 1.5]");
        expect_scan_ok("{\"a\": [\"b_sats\", 1.5]}");
        /* top-level numbers have no key */
        expect_scan_ok("1.5");
        expect_scan_ok("-1e5");
}

static void
test_scan_nesting(void **state)
{
        (void)state;
        expect_scan_err("{\"refund\": {\"amount_sats\": 1.5}}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"list\": [{\"fee_sats\": 1e2}]}",
                        "fee_sats must be an integer number of satoshis");
        expect_scan_err("{\"a\": {\"b\": {\"c\": [1, {\"d_sats\": -3}]}}}",
                        "d_sats must not be negative");
        /* arrays that are the value of an amount key hold amounts */
        expect_scan_ok("{\"splits_sats\": [1, 2, 3]}");
        expect_scan_err("{\"splits_sats\": [1, 2.5]}",
                        "splits_sats must be an integer number of satoshis");
        expect_scan_err("{\"splits_sats\": [[1], [2e1]]}",
                        "splits_sats must be an integer number of satoshis");
        expect_scan_err("{\"splits_sats\": [-1]}", "splits_sats must not be negative");
        /* objects inside them go by their own keys */
        expect_scan_ok("{\"splits_sats\": [{\"x\": 1.5}]}");
        expect_scan_err("{\"splits_sats\": [{\"y_sats\": 1.5}]}",
                        "y_sats must be an integer number of satoshis");
        /* the amount array ends where it ends */
        expect_scan_ok("{\"splits_sats\": [1], \"ratio\": 0.5}");
        expect_scan_ok("{\"o\": {\"a_sats\": 1}, \"ratio\": 0.5}");
        /* duplicates: every occurrence is checked */
        expect_scan_err("{\"amount_sats\": 1, \"amount_sats\": 1.5}",
                        "amount_sats must be an integer number of satoshis");
}

static void
test_scan_keys_as_cjson_sees_them(void **state)
{
        (void)state;
        /* cJSON_GetObjectItem ignores case and decodes escapes: so do we. */
        expect_scan_err("{\"AMOUNT_SATS\": 1.5}",
                        "AMOUNT_SATS must be an integer number of satoshis");
        expect_scan_err("{\"Amount_Sats\": 1.5}",
                        "Amount_Sats must be an integer number of satoshis");
        expect_scan_err("{\"amount\\u005fsats\": 1.5}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"amount_sat\\u0073\": 1.5}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_err("{\"a\\\"_sats\": 1.5}", "a\"_sats must be an integer number of satoshis");
        expect_scan_err("{\"_sats\": 1e1}", "_sats must be an integer number of satoshis");
        /* cJSON keeps keys as C strings: "amount_sats\u0000x" is "amount_sats" */
        expect_scan_err("{\"amount_sats\\u0000x\": 1.5}",
                        "amount_sats must be an integer number of satoshis");
        expect_scan_ok("{\"amount\\u0000_sats\": 1.5}");
        /* non-ASCII never matches */
        expect_scan_ok("{\"amount_s\\u00e1ts\": 1.5}");
        /* a long key is still recognised; the message shows its first 64 bytes */
        expect_scan_err(
            "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaa_sats\": 1.5}",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa must be an "
            "integer number of satoshis");

        /* End to end, the way the API layer uses both. */
        const char *body = "{\"Refund_SATS\": 2000, \"note\": \"x\"}";
        char err[128];
        int64_t v = 0;
        assert_int_equal(amount_check_json_numbers(body, err, sizeof(err)), 0);
        cJSON *root = cJSON_Parse(body);
        assert_non_null(root);
        assert_int_equal(
            amount_from_json(cJSON_GetObjectItem(root, "refund_sats"), 1, &v, err, sizeof(err)), 0);
        assert_int_equal(v, 2000);
        cJSON_Delete(root);
        body = "{\"REFUND_SATS\": 2e3}";
        assert_int_equal(amount_check_json_numbers(body, err, sizeof(err)), -1);
        assert_string_equal(err, "REFUND_SATS must be an integer number of satoshis");
}

static void
test_scan_not_json(void **state)
{
        (void)state;
        static const char *const bad[] = {
            "",
            "   ",
            "{",
            "}",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{a: 1}",
            "{'a': 1}",
            "[1 2]",
            "[1,]",
            "{\"a\": 01}",
            "{\"a\": 1.}",
            "{\"a\": .5}",
            "{\"a\": +1}",
            "{\"a\": 1e}",
            "{\"a\": --1}",
            "{\"a\": tru}",
            "{\"a\": True}",
            "{\"a\": \"x}",
            "{\"a\": \"\\x\"}",
            "{\"a\": \"\\u12\"}",
            "{\"a\": \"tab\there\"}",
            "{} x",
            "{}{}",
            "{\"a\": 1} // c",
            "{\"a\": NaN}",
            "\"\\",
        };
        for (size_t i = 0; i < N(bad); i++)
                expect_scan_err(bad[i], "request body is not valid JSON");
        char err[64];
        assert_int_equal(amount_check_json_numbers(NULL, err, sizeof(err)), -1);
        assert_string_equal(err, "request body is not valid JSON");
        expect_scan_ok("{}");
        expect_scan_ok("[]");
        expect_scan_ok(" \t\r\n{ } ");
        expect_scan_ok("{\"a\": [true, false, null, \"\\u00e9\\n\\\"\", -0.5e-7, 0, {}]}");
        expect_scan_ok("\"just a string\"");
}

static void
test_scan_depth(void **state)
{
        (void)state;
        char body[300];
        /* 65 nested arrays: the innermost value sits at depth 65 */
        for (int depth = 60; depth <= 70; depth++) {
                int n = 0;
                for (int i = 0; i < depth; i++)
                        body[n++] = '[';
                body[n++] = '1';
                for (int i = 0; i < depth; i++)
                        body[n++] = ']';
                body[n] = '\0';
                char err[64] = "";
                int r = amount_check_json_numbers(body, err, sizeof(err));
                if (depth <= 64) {
                        assert_int_equal(r, 0);
                } else {
                        assert_int_equal(r, -1);
                        assert_string_equal(err, "request body is nested too deeply");
                }
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_from_json_numbers),
            cmocka_unit_test(test_from_json_strings),
            cmocka_unit_test(test_format_btc),
            cmocka_unit_test(test_parse_btc),
            cmocka_unit_test(test_btc_round_trip),
            cmocka_unit_test(test_msat_to_sat),
            cmocka_unit_test(test_scan_amount_keys),
            cmocka_unit_test(test_scan_nesting),
            cmocka_unit_test(test_scan_keys_as_cjson_sees_them),
            cmocka_unit_test(test_scan_not_json),
            cmocka_unit_test(test_scan_depth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
