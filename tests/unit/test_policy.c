/* The executor's own limits, applied to rows as a compromised server could
 * have written them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "policy.h"

static const char *const ADDR = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
static const int64_t NOW = 1800000000;

static struct config_refunds
pol(int64_t max, int64_t daily, int64_t threshold)
{
        struct config_refunds p = {.present = true, .enabled = true, .poll_seconds = 30};
        p.max_refund_sats = max;
        p.daily_refund_limit_sats = daily;
        p.manual_approval_threshold_sats = threshold;
        return p;
}

static struct policy_refund
refund(int64_t amount)
{
        struct policy_refund r = {.id = "rf_x",
                                  .amount_sats = amount,
                                  .destination = ADDR,
                                  .destination_type = "bitcoin_address",
                                  .payout_backend = "bitcoin",
                                  .approval_status = "not_required",
                                  .invoice_paid_sats = 1000000,
                                  .invoice_other_sats = 0};
        return r;
}

static enum policy_verdict
check(const struct config_refunds *p, const struct policy_refund *r, int64_t succeeded,
      int64_t processing, char *reason)
{
        struct policy_day day = {succeeded, processing};
        struct dest d;
        return policy_check(p, DEST_NET_MAINNET, r, &day, NOW, &d, reason, 300);
}

static void
test_within_limits_pays(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(100000, 500000, 250000);
        struct policy_refund r = refund(2000);
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_PAY);
        struct config_refunds unlimited = pol(-1, -1, -1);
        r.amount_sats = 900000;
        assert_int_equal(check(&unlimited, &r, 0, 0, why), POLICY_PAY);
}

static void
test_over_max_is_manual(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(100000, 500000, 250000);
        struct policy_refund r = refund(100001);
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_MANUAL);
        assert_non_null(strstr(why, "max_refund_sats 100000"));
        r.amount_sats = 100000;
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_PAY);
}

static void
test_threshold_needs_approval(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(-1, -1, 250000);
        struct policy_refund r = refund(250001);
        /* the row says not_required; the executor's own threshold decides */
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_NEEDS_APPROVAL);
        r.approval_status = "approved";
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_PAY);
}

static void
test_daily_limit_defers(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(100000, 500000, -1);
        struct policy_refund r = refund(50000);
        assert_int_equal(check(&p, &r, 400000, 50000, why), POLICY_PAY);
        assert_int_equal(check(&p, &r, 400000, 50001, why), POLICY_DEFER_DAILY);
        assert_non_null(strstr(why, "daily_refund_limit_sats 500000"));
        assert_int_equal(check(&p, &r, 450001, 0, why), POLICY_DEFER_DAILY);
}

static void
test_invoice_balance(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(-1, -1, -1);
        struct policy_refund r = refund(3000);
        r.invoice_paid_sats = 5000;
        r.invoice_other_sats = 2000;
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_PAY);
        r.invoice_other_sats = 2001;
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        assert_non_null(strstr(why, "too much"));
}

static void
test_destination_revalidated(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(-1, -1, -1);
        struct policy_refund r = refund(1000);
        r.destination = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"; /* checksum */
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        r.destination = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"; /* regtest */
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        r.destination = "alice@example.com"; /* row claims bitcoin */
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        assert_non_null(strstr(why, "lightning_address"));
}

static void
test_wrong_rows_are_invalid_before_limits(void **state)
{
        (void)state;
        char why[300];
        struct config_refunds p = pol(1000, 1000, 1000);
        struct policy_refund r = refund(5000);
        r.destination = "not an address";
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        r = refund(0);
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
        r = refund(2100000000000001LL);
        assert_int_equal(check(&p, &r, 0, 0, why), POLICY_INVALID);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_within_limits_pays),
            cmocka_unit_test(test_over_max_is_manual),
            cmocka_unit_test(test_threshold_needs_approval),
            cmocka_unit_test(test_daily_limit_defers),
            cmocka_unit_test(test_invoice_balance),
            cmocka_unit_test(test_destination_revalidated),
            cmocka_unit_test(test_wrong_rows_are_invalid_before_limits),
        };
        return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
