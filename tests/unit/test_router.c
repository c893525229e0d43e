/* Route pattern matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

static int
match(const char *pattern, const char *path, const char **params, size_t *np)
{
        static char buf[512];
        snprintf(buf, sizeof(buf), "%s", path);
        return router_match(pattern, buf, params, np);
}

static void
test_literal(void **state)
{
        (void)state;
        const char *p[HTTP_MAX_PARAMS];
        size_t n = 9;
        assert_true(match("/healthz", "/healthz", p, &n));
        assert_int_equal(n, 0);
        assert_false(match("/healthz", "/healthz/", p, &n));
        assert_false(match("/healthz", "/health", p, &n));
        assert_false(match("/healthz", "/healthzz", p, &n));
        assert_false(match("/healthz", "/", p, &n));
}

static void
test_params(void **state)
{
        (void)state;
        const char *p[HTTP_MAX_PARAMS];
        size_t n = 0;
        assert_true(
            match("/v1/stores/{store}/refunds/{id}", "/v1/stores/main/refunds/rf_1", p, &n));
        assert_int_equal(n, 2);
        assert_string_equal(p[0], "main");
        assert_string_equal(p[1], "rf_1");
        assert_true(match("/v1/stores/{store}/refunds/{id}/events",
                          "/v1/stores/main/refunds/rf_1/events", p, &n));
        assert_string_equal(p[1], "rf_1");
}

static void
test_param_must_not_be_empty_or_extra(void **state)
{
        (void)state;
        const char *p[HTTP_MAX_PARAMS];
        size_t n = 0;
        assert_false(match("/v1/stores/{store}/refunds", "/v1/stores//refunds", p, &n));
        assert_false(match("/v1/stores/{store}/refunds", "/v1/stores/main/refunds/x", p, &n));
        assert_false(match("/v1/stores/{store}/refunds/{id}", "/v1/stores/main/refunds", p, &n));
        assert_false(match("/v1/stores/{store}", "/v1/stores/main/", p, &n));
}

static void
test_no_match_leaves_path_intact(void **state)
{
        (void)state;
        const char *p[HTTP_MAX_PARAMS];
        size_t n = 0;
        char buf[64] = "/v1/stores/main/other/x";
        assert_false(router_match("/v1/stores/{store}/refunds/{id}", buf, p, &n));
        assert_string_equal(buf, "/v1/stores/main/other/x");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_literal),
            cmocka_unit_test(test_params),
            cmocka_unit_test(test_param_must_not_be_empty_or_extra),
            cmocka_unit_test(test_no_match_leaves_path_intact),
        };
        return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
