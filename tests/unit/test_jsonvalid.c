/* The strict validator: valid and invalid documents, UTF-8 edge cases from
 * RFC 3629, escapes and surrogates, depth, and exact-size buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jsonvalid.h"

struct doc {
        const char *text;
        size_t len; /* 0: strlen(text) */
};

#define DOC(s)                                                                                     \
        {                                                                                          \
                s, sizeof(s) - 1                                                                   \
        }

/* Validates a copy in a heap block of exactly n bytes, no terminator, so
 * ASan (san build) catches any read past the text. */
static int
check(const char *s, size_t n, int depth, struct jsonvalid_error *err)
{
        char *t = malloc(n ? n : 1);
        assert_non_null(t);
        memcpy(t, s, n);
        int rc = jsonvalid_check(t, n, depth, err);
        free(t);
        assert_true(err->offset <= n);
        return rc;
}

static void
test_valid(void **state)
{
        (void)state;
        static const struct doc docs[] = {
            DOC("{}"),
            DOC("[]"),
            DOC(" \t\r\n{ } \n"),
            DOC("0"),
            DOC("-0"),
            DOC("-0.5e-3"),
            DOC("1E+400"),
            DOC("12345678901234567890123456789012345678901234567890123456789012345678"),
            DOC("true"),
            DOC("false"),
            DOC("null"),
            DOC("\"\""),
            DOC("{\"amount_sats\":1000,\"payment_methods\":[],\"metadata\":{\"a\":[1,{}]}}"),
            DOC("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001 \\u00e9 \\uFFFF\""),
            DOC("\"\\ud800\\udc00 \\uDBFF\\uDFFF\""),     /* U+10000, U+10FFFF */
            DOC("\"\x7f\""),                              /* DEL is not a control character here */
            DOC("\"\xc2\x80 \xdf\xbf\""),                 /* U+0080, U+07FF */
            DOC("\"\xe0\xa0\x80 \xef\xbf\xbf\""),         /* U+0800, U+FFFF */
            DOC("\"\xed\x9f\xbf \xee\x80\x80\""),         /* U+D7FF, U+E000 */
            DOC("\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\""), /* U+10000, U+10FFFF */
            DOC("\"\xef\xbb\xbf\""),                      /* a BOM inside a string is a character */
            DOC("[[[[[[[[]]]]]]]]"),                      /* 8 deep */
        };
        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
                struct jsonvalid_error err;
                int rc = check(docs[i].text, docs[i].len, 8, &err);
                if (rc != 0)
                        fail_msg("doc %zu refused: %s", i, err.msg);
        }
}

struct bad {
        const char *text;
        size_t len;
        size_t offset;     /* where the error is reported */
        const char *field; /* the field named, "" for none */
        const char *msg;   /* a substring of the message */
};

#define BAD(s, off, field, msg)                                                                    \
        {                                                                                          \
                s, sizeof(s) - 1, off, field, msg                                                  \
        }

static void
test_invalid(void **state)
{
        (void)state;
        static const struct bad docs[] = {
            BAD("", 0, "", "no JSON value"),
            BAD("   ", 3, "", "no JSON value"),
            BAD("\xef\xbb\xbf{}", 0, "", "byte order mark"),
            BAD("{} x", 3, "", "after the JSON value"),
            BAD("{}{}", 2, "", "after the JSON value"),
            BAD("{\"amount_sats\":1000}\0garbage", 20, "", "after the JSON value"),
            BAD("{\"a\":1,}", 7, "", "member name"),
            BAD("[1,]", 3, "", "unexpected character"),
            BAD("[1 2]", 3, "", "expected ','"),
            BAD("{\"a\" 1}", 5, "a", "expected ':'"),
            BAD("{'a':1}", 1, "", "member name"),
            BAD("{\"a\":01}", 6, "a", "expected ','"), /* no leading zeros */
            BAD("{\"a\":1.}", 7, "a", "invalid number"),
            BAD("{\"a\":.5}", 5, "a", "unexpected character"),
            BAD("{\"a\":1e}", 7, "a", "invalid number"),
            BAD("{\"a\":-}", 6, "a", "invalid number"),
            BAD("{\"a\":+1}", 5, "a", "unexpected character"),
            BAD("{\"a\":NaN}", 5, "a", "unexpected character"),
            BAD("{\"a\":tru}", 5, "a", "invalid literal"),
            BAD("{\"a\":True}", 5, "a", "unexpected character"),
            BAD("{\"a\":\"x", 7, "a", "unterminated string"),
            BAD("{\"a\":\"x\\", 8, "a", "unterminated string"),
            BAD("{\"a", 3, "", "unterminated string"),
            BAD("{\"a\":[1", 7, "a", "expected ','"),
            BAD("{\"a\":", 5, "a", "unexpected end"),
            BAD("[", 1, "", "unexpected end"),
            /* strings: raw control characters, NUL, escapes */
            BAD("{\"a\":\"x\0y\"}", 7, "a", "NUL byte"),
            BAD("{\"a\":\"x\ny\"}", 7, "a", "control character 0x0a"),
            BAD("{\"a\":\"\x1f\"}", 6, "a", "control character 0x1f"),
            BAD("{\"a\":\"\\x\"}", 7, "a", "invalid escape"),
            BAD("{\"a\":\"\\'\"}", 7, "a", "invalid escape"),
            BAD("{\"a\":\"\\u12\"}", 10, "a", "4 hex digits"),
            BAD("{\"a\":\"\\u12G4\"}", 10, "a", "4 hex digits"),
            BAD("{\"metadata\":{\"k\":\"a\\u0000b\"}}", 19, "metadata", "\\u0000"),
            BAD("{\"a\\u0000\":1}", 3, "", "\\u0000"),
            BAD("{\"a\":\"\\udc00\"}", 6, "a", "low surrogate"),
            BAD("{\"a\":\"\\ud800\"}", 6, "a", "high surrogate"),
            BAD("{\"a\":\"\\ud800x\"}", 6, "a", "high surrogate"),
            BAD("{\"a\":\"\\ud800\\u0041\"}", 6, "a", "high surrogate"),
            BAD("{\"a\":\"\\ud800\\ud800\"}", 6, "a", "high surrogate"),
            BAD("{\"a\":\"\\ud800\\", 6, "a", "high surrogate"),
            /* UTF-8 (RFC 3629 section 4 and its examples of ill-formed text) */
            BAD("{\"a\":\"\x80\"}", 6, "a", "invalid UTF-8"), /* lone continuation */
            BAD("{\"a\":\"\xbf\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xc0\xaf\"}", 6, "a", "invalid UTF-8"),         /* overlong '/' */
            BAD("{\"a\":\"\xc1\xbf\"}", 6, "a", "invalid UTF-8"),         /* overlong */
            BAD("{\"a\":\"\xe0\x80\xaf\"}", 6, "a", "invalid UTF-8"),     /* overlong 3 bytes */
            BAD("{\"a\":\"\xe0\x9f\xbf\"}", 6, "a", "invalid UTF-8"),     /* overlong U+07FF */
            BAD("{\"a\":\"\xf0\x80\x80\xaf\"}", 6, "a", "invalid UTF-8"), /* overlong 4 bytes */
            BAD("{\"a\":\"\xf0\x8f\xbf\xbf\"}", 6, "a", "invalid UTF-8"), /* overlong U+FFFF */
            BAD("{\"a\":\"\xed\xa0\x80\"}", 6, "a", "invalid UTF-8"),     /* U+D800 encoded */
            BAD("{\"a\":\"\xed\xbf\xbf\"}", 6, "a", "invalid UTF-8"),     /* U+DFFF encoded */
            BAD("{\"a\":\"\xf4\x90\x80\x80\"}", 6, "a", "invalid UTF-8"), /* U+110000 */
            BAD("{\"a\":\"\xf5\x80\x80\x80\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xf8\x88\x80\x80\x80\"}", 6, "a", "invalid UTF-8"), /* 5 bytes */
            BAD("{\"a\":\"\xfe\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xff\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xc2\"}", 6, "a", "invalid UTF-8"), /* truncated */
            BAD("{\"a\":\"\xe2\x82\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xf0\x9f\x98\"}", 6, "a", "invalid UTF-8"),
            BAD("{\"a\":\"\xe2\x82", 6, "a", "invalid UTF-8"),    /* at the very end */
            BAD("{\"a\":\"\xc2\x41\"}", 6, "a", "invalid UTF-8"), /* bad continuation */
            BAD("{\"\xff\":1}", 2, "", "invalid UTF-8"),          /* in a key */
            BAD("\xff", 0, "", "unexpected character"),
            /* depth: 9 levels against a limit of 8 */
            BAD("[[[[[[[[[]]]]]]]]]", 8, "", "deeper than 8"),
            BAD("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}", 40, "a",
                "deeper than 8"),
            /* the field named is the top-level member being read */
            BAD("{\"amount_sats\":1,\"destination\":\"\xc3\x28\"}", 32, "destination",
                "invalid UTF-8"),
            BAD("{\"amount_sats\":1000 x}", 20, "amount_sats", "expected ','"),
        };
        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
                struct jsonvalid_error err;
                int rc = check(docs[i].text, docs[i].len, 8, &err);
                if (rc != -1)
                        fail_msg("doc %zu accepted", i);
                if (err.offset != docs[i].offset || strcmp(err.field, docs[i].field) != 0 ||
                    strstr(err.msg, docs[i].msg) == NULL)
                        fail_msg("doc %zu: offset %zu field '%s' msg '%s'", i, err.offset,
                                 err.field, err.msg);
                if (docs[i].field[0] && strncmp(err.msg, docs[i].field, strlen(docs[i].field)))
                        fail_msg("doc %zu: message does not name the field: %s", i, err.msg);
        }
}

/* Every prefix of a valid document but the whole is invalid, and nothing
 * reads past the end: truncated bodies. */
static void
test_prefixes(void **state)
{
        (void)state;
        static const char doc[] = "{\"a\":[1,-2.5e+3,true,false,null,\"\\u00e9\\ud83d\\ude00"
                                  "\xc3\xa9\xf0\x9f\x98\x80\"],\"b\":{}}";
        struct jsonvalid_error err;
        assert_int_equal(check(doc, sizeof(doc) - 1, 8, &err), 0);
        for (size_t n = 0; n + 1 < sizeof(doc); n++)
                assert_int_equal(check(doc, n, 8, &err), -1);
}

static void
test_depth_limit(void **state)
{
        (void)state;
        struct jsonvalid_error err;
        assert_int_equal(check("1", 1, 0, &err), -1);
        assert_int_equal(check("1", 1, JSONVALID_DEPTH_LIMIT + 1, &err), -1);
        char deep[2 * JSONVALID_DEPTH_LIMIT + 2];
        memset(deep, '[', JSONVALID_DEPTH_LIMIT);
        memset(deep + JSONVALID_DEPTH_LIMIT, ']', JSONVALID_DEPTH_LIMIT);
        assert_int_equal(check(deep, 2 * JSONVALID_DEPTH_LIMIT, JSONVALID_DEPTH_LIMIT, &err), 0);
        assert_int_equal(check(deep, 2 * JSONVALID_DEPTH_LIMIT, 8, &err), -1);
        /* a long flat document: linear, no recursion per element */
        size_t n = (1 << 20) + 1; /* "[0,0,...,0]" */
        char *big = malloc(n);
        assert_non_null(big);
        big[0] = '[';
        for (size_t i = 1; i + 1 < n; i += 2) {
                big[i] = '0';
                big[i + 1] = ',';
        }
        big[n - 1] = ']';
        int rc = jsonvalid_check(big, n, 8, &err);
        free(big);
        assert_int_equal(rc, 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid),
            cmocka_unit_test(test_invalid),
            cmocka_unit_test(test_prefixes),
            cmocka_unit_test(test_depth_limit),
        };
        return cmocka_run_group_tests_name("jsonvalid", tests, NULL, NULL);
}
