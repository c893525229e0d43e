/* The claim page's building blocks: HTML escaping, the claim token and its
 * hash, the LNURL (bech32 without the 90-character limit) and the QR SVG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bech32.h"
#include "claim_limit.h"
#include "claim_token.h"
#include "html.h"
#include "qr_svg.h"

static void
escapes(const char *in, const char *want)
{
        char *got = html_escape_new(in);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
}

static void
test_html_escape(void **state)
{
        (void)state;
        escapes("", "");
        escapes("plain text 123", "plain text 123");
        escapes("<script>alert(\"x\")</script>",
                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
        escapes("a&b 'c'", "a&amp;b &#39;c&#39;");
        escapes("\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
        escapes("line\nnext\ttab", "line\nnext\ttab");
        escapes("bell\x07", "bell\xef\xbf\xbd");
        escapes("caf\xc3\xa9 &amp;", "caf\xc3\xa9 &amp;amp;");
}

static void
test_token(void **state)
{
        (void)state;
        char t1[CLAIM_TOKEN_LEN + 1], t2[CLAIM_TOKEN_LEN + 1];
        char h1[CLAIM_HASH_LEN + 1], h2[CLAIM_HASH_LEN + 1], h[CLAIM_HASH_LEN + 1];
        claim_token_new(t1, h1);
        claim_token_new(t2, h2);
        assert_int_equal(strlen(t1), 32);
        assert_int_equal(strspn(t1, "0123456789abcdef"), 32);
        assert_string_not_equal(t1, t2);
        assert_string_not_equal(h1, h2);
        assert_int_equal(claim_token_hash(t1, h), 0);
        assert_string_equal(h, h1);
        /* sha256("000…0" x 32), as sha256sum computes it */
        assert_int_equal(claim_token_hash("00000000000000000000000000000000", h), 0);
        assert_string_equal(h, "84e0c0eafaa95a34c293f278ac52e45ce537bab5e752a00e6959a13ae103b65a");
}

static void
test_token_refused(void **state)
{
        (void)state;
        char h[CLAIM_HASH_LEN + 1];
        assert_int_equal(claim_token_hash("", h), -1);
        assert_int_equal(claim_token_hash("0000000000000000000000000000000", h), -1);
        assert_int_equal(claim_token_hash("000000000000000000000000000000000", h), -1);
        assert_int_equal(claim_token_hash("0000000000000000000000000000000A", h), -1);
        assert_int_equal(claim_token_hash("../../../../../../../../../../..", h), -1);
}

static void
test_lnurl(void **state)
{
        (void)state;
        /* LUD-01's example */
        const char *url = "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693"
                          "afabe04be7b0ccd178df";
        char out[400];
        assert_int_equal(
            bech32_encode_bytes("lnurl", (const uint8_t *)url, strlen(url), 1, out, sizeof(out)),
            0);
        assert_string_equal(out, "LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35"
                                 "XVUKXEFCV5MKVV34X5EKZD3EV56NYD3HXQURZEPEXEJXXEPNXSCRVWFNV9NXZCN"
                                 "9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS");
        /* and back */
        uint8_t data[400], bytes[300];
        size_t dl = 0, bl = 0;
        char hrp[16];
        enum bech32_encoding enc;
        const char *err = NULL;
        assert_int_equal(bech32_decode(out, strlen(out), 0, hrp, sizeof(hrp), data, sizeof(data),
                                       &dl, &enc, &err),
                         0);
        assert_string_equal(hrp, "lnurl");
        assert_int_equal(bech32_5to8(data, dl, bytes, sizeof(bytes), &bl), 0);
        assert_int_equal(bl, strlen(url));
        assert_memory_equal(bytes, url, bl);
        assert_int_equal(
            bech32_encode_bytes("lnurl", (const uint8_t *)url, strlen(url), 1, out, 20), -1);
}

static void
test_urls(void **state)
{
        (void)state;
        struct claim_urls u;
        const char *t = "0123456789abcdef0123456789abcdef";
        assert_int_equal(claim_urls_make("https://pay.example.com/", t, &u), 0);
        assert_string_equal(u.page,
                            "https://pay.example.com/claim/0123456789abcdef0123456789abcdef");
        assert_string_equal(
            u.withdraw, "https://pay.example.com/claim/0123456789abcdef0123456789abcdef/lnurlw");
        assert_string_equal(
            u.lnurlw, "lnurlw://pay.example.com/claim/0123456789abcdef0123456789abcdef/lnurlw");
        assert_string_equal(u.callback, "https://pay.example.com/lnurlw/callback");
        assert_int_equal(strncmp(u.lnurl, "LNURL1", 6), 0);
        assert_int_equal(claim_urls_make(NULL, t, &u), -1);
        assert_int_equal(claim_urls_make("nohost", t, &u), -1);
}

static void
test_qr_svg(void **state)
{
        (void)state;
        char *svg = qr_svg_new("LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35");
        assert_non_null(svg);
        assert_int_equal(strncmp(svg, "<svg ", 5), 0);
        assert_non_null(strstr(svg, "viewBox=\"0 0 "));
        assert_non_null(strstr(svg, "<path "));
        assert_non_null(strstr(svg, "</svg>"));
        assert_null(strstr(svg, "<script"));
        free(svg);
}

static void
test_rate_limit(void **state)
{
        (void)state;
        time_t t = 6000000; /* the start of a minute */
        for (int i = 0; i < 3; i++)
                assert_int_equal(claim_limit_allow("192.0.2.1", t + i, 3), 1);
        assert_int_equal(claim_limit_allow("192.0.2.1", t + 10, 3), 0);
        assert_int_equal(claim_limit_allow("192.0.2.1", t + 59, 3), 0);
        /* another address has its own count (unless it shares the slot) */
        assert_int_equal(claim_limit_allow("198.51.100.7", t + 10, 3), 1);
        /* the next minute starts over */
        assert_int_equal(claim_limit_allow("192.0.2.1", t + 60, 3), 1);
        /* 0: no limit */
        for (int i = 0; i < 100; i++)
                assert_int_equal(claim_limit_allow("192.0.2.9", t, 0), 1);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_html_escape),   cmocka_unit_test(test_token),
            cmocka_unit_test(test_token_refused), cmocka_unit_test(test_lnurl),
            cmocka_unit_test(test_urls),          cmocka_unit_test(test_qr_svg),
            cmocka_unit_test(test_rate_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
