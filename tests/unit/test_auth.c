/* Who may do what: the decision table of DESIGN.md, token by token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth.h"

static struct config_store
store(char *api, char *admin, char *payout, bool can_payout)
{
        struct config_store s = {0};
        s.id = "main";
        s.api_token = api;
        s.admin_token = admin;
        s.payout_token = payout;
        s.admin_token_can_payout = can_payout;
        return s;
}

static void
test_all_three_tokens(void **state)
{
        (void)state;
        struct config_store s = store("A", "D", "P", false);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, "A"), AUTH_ROLE_API);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, "D"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_PAYOUT, "P"), AUTH_ROLE_PAYOUT);
        assert_int_equal(auth_decide(&s, AUTH_PAYOUT, "D"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_PAYOUT, "A"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_APPROVE, "D"), AUTH_ROLE_ADMIN);
        assert_int_equal(auth_decide(&s, AUTH_APPROVE, "P"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_ADMIN, "D"), AUTH_ROLE_ADMIN);
        assert_int_equal(auth_decide(&s, AUTH_ADMIN, "P"), AUTH_ROLE_PAYOUT);
        assert_int_equal(auth_decide(&s, AUTH_ADMIN, "A"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_MARK_PAID, "D"), AUTH_ROLE_ADMIN);
        assert_int_equal(auth_decide(&s, AUTH_MARK_PAID, "P"), AUTH_ROLE_NONE);
}

static void
test_admin_can_payout(void **state)
{
        (void)state;
        struct config_store s = store("A", "D", "P", true);
        assert_int_equal(auth_decide(&s, AUTH_PAYOUT, "D"), AUTH_ROLE_ADMIN);
        assert_int_equal(auth_decide(&s, AUTH_PAYOUT, "P"), AUTH_ROLE_PAYOUT);
        assert_int_equal(auth_decide(&s, AUTH_APPROVE, "P"), AUTH_ROLE_NONE);
}

static void
test_fallbacks(void **state)
{
        (void)state;
        struct config_store admin_only = store("A", "D", NULL, false);
        assert_int_equal(auth_decide(&admin_only, AUTH_PAYOUT, "D"), AUTH_ROLE_ADMIN);
        assert_int_equal(auth_decide(&admin_only, AUTH_PAYOUT, "A"), AUTH_ROLE_NONE);
        struct config_store api_only = store("A", NULL, NULL, false);
        assert_int_equal(auth_decide(&api_only, AUTH_PAYOUT, "A"), AUTH_ROLE_API);
        assert_int_equal(auth_decide(&api_only, AUTH_ADMIN, "A"), AUTH_ROLE_API);
        assert_int_equal(auth_decide(&api_only, AUTH_MARK_PAID, "A"), AUTH_ROLE_API);
        assert_int_equal(auth_decide(&api_only, AUTH_APPROVE, "A"), AUTH_ROLE_NONE);
        struct config_store payout_only = store("A", NULL, "P", false);
        assert_int_equal(auth_decide(&payout_only, AUTH_ADMIN, "A"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&payout_only, AUTH_ADMIN, "P"), AUTH_ROLE_PAYOUT);
}

static void
test_near_misses(void **state)
{
        (void)state;
        struct config_store s = store("token", "admin", "payout", false);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, "toke"), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, "token "), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, ""), AUTH_ROLE_NONE);
        assert_int_equal(auth_decide(&s, AUTH_INVOICE, "TOKEN"), AUTH_ROLE_NONE);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_all_three_tokens),
            cmocka_unit_test(test_admin_can_payout),
            cmocka_unit_test(test_fallbacks),
            cmocka_unit_test(test_near_misses),
        };
        return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
