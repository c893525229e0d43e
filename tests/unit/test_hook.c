/* The webhook helpers that need no network: the private-address rule
 * (SSRF, api/hook_addr.c, and hook_post's refusals before any connection)
 * and the signature (api/hook_sign.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "hook_addr.h"
#include "hook_post.h"
#include "hook_sign.h"

/* hook_addr_private of a textual IPv4 or IPv6 address. */
static int
private_text(const char *text)
{
        struct sockaddr_in a4 = {.sin_family = AF_INET};
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
        if (inet_pton(AF_INET, text, &a4.sin_addr) == 1)
                return hook_addr_private((const struct sockaddr *)&a4);
        assert_int_equal(inet_pton(AF_INET6, text, &a6.sin6_addr), 1);
        return hook_addr_private((const struct sockaddr *)&a6);
}

static void
test_private_v4(void **state)
{
        (void)state;
        static const char *const refused[] = {
            "127.0.0.1",       "127.255.0.9",     "10.1.2.3",     "172.16.0.1",  "172.31.255.255",
            "192.168.1.1",     "169.254.169.254", "100.64.0.1",   "0.0.0.0",     "224.0.0.1",
            "255.255.255.255", "192.0.2.7",       "198.51.100.1", "203.0.113.9", "198.18.0.1"};
        static const char *const allowed[] = {"8.8.8.8",        "1.1.1.1",     "172.32.0.1",
                                              "172.15.255.255", "100.128.0.1", "192.169.0.1",
                                              "93.184.216.34"};
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                if (!private_text(refused[i]))
                        fail_msg("%s should be refused", refused[i]);
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                if (private_text(allowed[i]))
                        fail_msg("%s should be allowed", allowed[i]);
}

static void
test_private_v6(void **state)
{
        (void)state;
        static const char *const refused[] = {"::1",
                                              "::",
                                              "fe80::1",
                                              "fc00::1",
                                              "fd12:3456::1",
                                              "ff02::1",
                                              "fec0::1",
                                              "2001:db8::1",
                                              "::ffff:127.0.0.1",
                                              "::ffff:10.0.0.1",
                                              "64:ff9b::a9fe:a9fe",
                                              "::ffff:169.254.169.254",
                                              "100::1"};
        static const char *const allowed[] = {"2606:4700:4700::1111", "2a00:1450:4001:81b::200e",
                                              "::ffff:8.8.8.8", "64:ff9b::808:808"};
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                if (!private_text(refused[i]))
                        fail_msg("%s should be refused", refused[i]);
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                if (private_text(allowed[i]))
                        fail_msg("%s should be allowed", allowed[i]);
}

static void
test_addr_text(void **state)
{
        (void)state;
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
        assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr), 1);
        char buf[64];
        hook_addr_text((const struct sockaddr *)&a6, buf, sizeof(buf));
        assert_string_equal(buf, "2001:db8::1");
        struct sockaddr other = {.sa_family = AF_UNIX};
        hook_addr_text(&other, buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_int_equal(hook_addr_private(&other), 1);
}

static void
test_sign(void **state)
{
        (void)state;
        const char *body = "{\"id\":\"evt_1\"}";
        char out[HOOK_SIGN_MAX];
        /* python3: hmac.new(b"whsec_test", b'1765094400.{"id":"evt_1"}', sha256) */
        assert_int_equal(hook_sign("whsec_test", 1765094400, body, strlen(body), out, sizeof(out)),
                         0);
        assert_string_equal(out,
                            "t=1765094400,v1="
                            "45b87b853cb5a67b944358c9e102cd17c93eb2c5ce78c7cc7780283fe120491c");
        /* another time or body changes it; too small a buffer fails */
        char other[HOOK_SIGN_MAX];
        assert_int_equal(
            hook_sign("whsec_test", 1765094401, body, strlen(body), other, sizeof(other)), 0);
        assert_string_not_equal(out + 16, other + 16);
        assert_int_equal(hook_sign("whsec_test", 1765094400, body, strlen(body), out, 40), -1);
}

/* hook_post refuses before any connection: the scheme, a private literal
 * address (v4, v6), a URL that does not parse; allowed, it tries. */
static void
test_post_refusals(void **state)
{
        (void)state;
        static const char *const urls[] = {"http://shop.example.com/h",
                                           "https://127.0.0.1:9/h",
                                           "https://[::1]:9/h",
                                           "https://10.1.2.3/h",
                                           "https://169.254.169.254/latest",
                                           "ftp://x/y",
                                           "https://[::ffff:192.168.0.1]/h",
                                           "not a url"};
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
                struct hook_post_req rq = {.url = urls[i],
                                           .body = "{}",
                                           .len = 2,
                                           .signature = "t=1,v1=00",
                                           .timeout_secs = 2};
                struct hook_post_result out;
                assert_int_equal(hook_post(&rq, &out), -1);
                if (!out.refused || strncmp(out.error, "refused: ", 9) != 0)
                        fail_msg("%s: refused %d, error %s", urls[i], out.refused, out.error);
                assert_int_equal(out.status, 0);
        }
        /* allowed: it connects (nothing listens on port 1) */
        struct hook_post_req rq = {.url = "http://127.0.0.1:1/h",
                                   .allow_private = 1,
                                   .body = "{}",
                                   .len = 2,
                                   .signature = "t=1,v1=00",
                                   .timeout_secs = 2};
        struct hook_post_result out;
        assert_int_equal(hook_post(&rq, &out), -1);
        assert_int_equal(out.refused, 0);
        assert_string_equal(out.address, "127.0.0.1");
        assert_non_null(strstr(out.error, "onnect"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_private_v4),    cmocka_unit_test(test_private_v6),
            cmocka_unit_test(test_addr_text),     cmocka_unit_test(test_sign),
            cmocka_unit_test(test_post_refusals),
        };
        return cmocka_run_group_tests_name("hook", tests, NULL, NULL);
}
