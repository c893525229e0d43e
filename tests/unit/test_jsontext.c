/* JSON as text: raw members and elements, exponents, and bounds on any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void
member(const char *text, const char *key, const char *want)
{
        size_t off = 0, len = 0;
        int rc = jsontext_raw_member(text, strlen(text), key, &off, &len);
        if (want == NULL) {
                assert_int_equal(rc, -1);
                return;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text + off, want, len);
}

static void
test_raw_member(void **state)
{
        (void)state;
        member("{\"metadata\": {\"order\": 12345678901234567}}", "metadata",
               "{\"order\": 12345678901234567}");
        member("{\"a\":1,\"metadata\":[1,{\"x\":\"}\"}],\"b\":2}", "metadata", "[1,{\"x\":\"}\"}]");
        member("{\"metadata\" :  \"s\\\"t\" , \"z\":1}", "metadata", "\"s\\\"t\"");
        member("{\"metadata\":12345678901234567890}", "metadata", "12345678901234567890");
        member("{\"metadata\":null}", "metadata", "null");
        /* a nested key of the same name is not the top-level member */
        member("{\"a\":{\"metadata\":1}}", "metadata", NULL);
        /* a string value equal to the key is not a key */
        member("{\"a\":\"metadata\"}", "metadata", NULL);
        member("{}", "metadata", NULL);
}

static void
element(const char *arr, int idx, const char *want)
{
        size_t off = 0, len = 0;
        int rc = jsontext_raw_element(arr, strlen(arr), idx, &off, &len);
        if (want == NULL) {
                assert_int_equal(rc, -1);
                return;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(arr + off, want, len);
}

static void
test_raw_element(void **state)
{
        (void)state;
        const char *arr = "[ {\"amount\": -0.00002000, \"c\": \"a,]\"} , 12 ,\"x\",[1,[2]]]";
        element(arr, 0, "{\"amount\": -0.00002000, \"c\": \"a,]\"}");
        element(arr, 1, "12");
        element(arr, 2, "\"x\"");
        element(arr, 3, "[1,[2]]");
        element(arr, 4, NULL);
        element("[]", 0, NULL);
        element("{\"a\":1}", 0, NULL);
}

/* A copy of n bytes in a heap block of exactly n bytes, no terminator: ASan
 * (san build) reports any read of text[n] or beyond. */
static char *
exact(const char *s, size_t n)
{
        char *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, s, n);
        return p;
}

/* Runs every function over text[0..n) in an exact-size block and checks that
 * each result lies within the text. */
static void
bounded(const char *s, size_t n)
{
        char *t = exact(s, n);
        size_t off = 0, len = 0;
        assert_true(jsontext_max_exponent(t, n) <= JSON_EXPONENT_CAP);
        assert_true(jsontext_value_len(t, n) <= n);
        for (size_t k = 0; k < n; k++)
                assert_true(jsontext_value_len(t + k, n - k) <= n - k);
        static const char *const keys[] = {"metadata", "a", "result", "amount", ""};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                if (jsontext_raw_member(t, n, keys[k], &off, &len) == 0)
                        assert_true(off <= n && len >= 1 && len <= n - off);
        }
        for (int idx = 0; idx < 4; idx++) {
                if (jsontext_raw_element(t, n, idx, &off, &len) == 0)
                        assert_true(off <= n && len >= 1 && len <= n - off);
        }
        free(t);
}

static void
test_bounded_cases(void **state)
{
        (void)state;
        /* the body of the reported over-read: a NUL, then an open string */
        static const char repro[] = "{\"amount_sats\":1000,\"payment_methods\":[],"
                                    "\"meta\\u0064ata\":{\"a\":1}}\0\"";
        bounded(repro, sizeof(repro) - 1);
        static const char *const cases[] = {
            "\"",
            "\"\\",
            "\\",
            "{\"metadata\":\"abc",
            "{\"metadata\":\"abc\\",
            "{\"a\\",
            "{\"a\":",
            "{\"a\": ",
            "{\"metadata\":{\"a\":1",
            "[\"a\\",
            "[1,",
            "[1 ,  ",
            "[{\"amount\":",
            "{\"result\":[\"x\\\\\"",
            "[",
            "{",
            "{\"a\":\"\\\\\\\"",
            "}}]]",
            "{\"a\":1}}",
            "[,]",
            "{\"metadata\":}",
            "{\"metadata\":,}",
            "",
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                bounded(cases[i], strlen(cases[i]));
        /* embedded NULs anywhere */
        static const char nul[] = "{\"metadata\":\"a\0b\",\"x\":[\0]}";
        bounded(nul, sizeof(nul) - 1);
}

/* Every prefix of some documents, and each with one byte replaced by a
 * quote, a backslash or a NUL: the truncations and corruptions a peer can
 * send. */
static void
test_bounded_prefixes(void **state)
{
        (void)state;
        static const char *const docs[] = {
            "{\"metadata\": {\"order\": \"a\\\"b\\\\\", \"n\": [1, {\"x\": \"}\"}]}, \"z\": 1}",
            "{\"result\": [{\"amount\": -0.00002000, \"c\": \"a,]\\\\\"}, 12, \"x\\\\\"]}",
            "[\"\\u0041\", {\"a\": [\"\\\\\\\"\"]}, null, true, 1e5]",
        };
        static const char subst[] = {'"', '\\', '\0'};
        for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                size_t n = strlen(docs[d]);
                char buf[128];
                assert_true(n < sizeof(buf));
                for (size_t k = 0; k <= n; k++)
                        bounded(docs[d], k);
                for (size_t k = 0; k < n; k++) {
                        for (size_t r = 0; r < sizeof(subst); r++) {
                                memcpy(buf, docs[d], n);
                                buf[k] = subst[r];
                                bounded(buf, n);
                                bounded(buf, k + 1);
                        }
                }
        }
}

static void
test_value_len_truncated(void **state)
{
        (void)state;
        char *t = exact("\"ab\\", 4);
        assert_int_equal(jsontext_value_len(t, 4), 4);
        free(t);
        t = exact("{\"a\":\"\\", 7);
        assert_int_equal(jsontext_value_len(t, 7), 7);
        free(t);
        /* an escaped backslash before the quote still closes the string */
        t = exact("\"a\\\\\",", 6);
        assert_int_equal(jsontext_value_len(t, 6), 5);
        free(t);
        size_t off = 0, len = 0;
        t = exact("{\"metadata\":\"x\\", 15);
        assert_int_equal(jsontext_raw_member(t, 15, "metadata", &off, &len), 0);
        assert_int_equal(off, 12);
        assert_int_equal(len, 3);
        free(t);
        t = exact("{\"metadata\":", 12);
        assert_int_equal(jsontext_raw_member(t, 12, "metadata", &off, &len), -1);
        free(t);
        t = exact("[\"a\\", 4);
        assert_int_equal(jsontext_raw_element(t, 4, 0, &off, &len), 0);
        assert_int_equal(len, 3);
        assert_int_equal(jsontext_raw_element(t, 4, 1, &off, &len), -1);
        free(t);
}

static void
test_max_exponent(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                long want;
        } cases[] = {
            {"{\"a\":1}", 0},
            {"{\"a\":true,\"b\":false,\"e\":\"1e999\"}", 0},
            {"[1e5,2E-308,3e+17]", 308},
            {"{\"a\":{\"b\":[0.5e-20000]}}", 20000},
            {"[1e99999999999999999999]", JSON_EXPONENT_CAP},
            {"[1e", 0},
            {"[1e-", 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t n = strlen(cases[i].text);
                char *t = exact(cases[i].text, n);
                assert_int_equal(jsontext_max_exponent(t, n), cases[i].want);
                free(t);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_raw_member),          cmocka_unit_test(test_raw_element),
            cmocka_unit_test(test_bounded_cases),       cmocka_unit_test(test_bounded_prefixes),
            cmocka_unit_test(test_value_len_truncated), cmocka_unit_test(test_max_exponent),
        };
        return cmocka_run_group_tests_name("jsontext", tests, NULL, NULL);
}
