/* Outcome helpers: names, hex, and the preimage check every Lightning
 * success goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hex.h"
#include "outcome.h"

#define PRE1  "0101010101010101010101010101010101010101010101010101010101010101"
#define HASH1 "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"
#define HASH2 "75877bb41d393b5fb8455ce60ecd8dda001d06316496b14dfa7f895656eeca4a"

static void
test_names(void **state)
{
        (void)state;
        assert_string_equal(outcome_name(OUTCOME_SUCCEEDED), "succeeded");
        assert_string_equal(outcome_name(OUTCOME_FAILED), "failed");
        assert_string_equal(outcome_name(OUTCOME_DEFERRED), "deferred");
        assert_string_equal(outcome_name(OUTCOME_UNKNOWN), "unknown");
        assert_string_equal(outcome_name(OUTCOME_NOT_FOUND), "not_found");
}

static void
test_init(void **state)
{
        (void)state;
        struct payout_result r;
        memset(&r, 0x5a, sizeof(r));
        outcome_result_init(&r);
        /* An empty result is UNKNOWN, never a success by accident. */
        assert_int_equal(r.outcome, OUTCOME_UNKNOWN);
        assert_int_equal(r.fee_sats, -1);
        assert_string_equal(r.proof, "");
        assert_int_equal(outcome_set(&r, OUTCOME_FAILED, "x %d", 7), OUTCOME_FAILED);
        assert_string_equal(r.reason, "x 7");
}

static void
test_hex(void **state)
{
        (void)state;
        char dst[65];
        assert_true(hex_is64(HASH1));
        assert_false(hex_is64(HASH1 "0"));
        assert_false(hex_is64("72cd"));
        assert_false(hex_is64(NULL));
        assert_false(hex_is64("g2cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"));
        assert_int_equal(
            hex_copy64(dst, "72CD6E8422C407FB6D098690F1130B7DED7EC2F7F5E1D30BD9D521F015363793"), 0);
        assert_string_equal(dst, HASH1);
        assert_int_equal(hex_copy64(dst, "nothex"), -1);
        assert_string_equal(dst, "");
}

static void
test_preimage(void **state)
{
        (void)state;
        assert_true(outcome_preimage_matches(PRE1, HASH1));
        assert_false(outcome_preimage_matches(PRE1, HASH2));
        assert_false(outcome_preimage_matches(HASH1, PRE1));
        assert_false(outcome_preimage_matches("01", HASH1));
        assert_false(outcome_preimage_matches(PRE1, NULL));
}

static void
test_contains(void **state)
{
        (void)state;
        assert_true(outcome_contains("Not Enough Funds in wallet", "not enough funds"));
        assert_false(outcome_contains("enough", "not enough"));
        assert_false(outcome_contains(NULL, "x"));
}

static void
test_not_lookable(void **state)
{
        (void)state;
        struct payout_result r;
        outcome_result_init(&r);
        assert_int_equal(outcome_not_lookable(&r, "barkd", "lightning_address"), OUTCOME_UNKNOWN);
        assert_int_equal(r.outcome, OUTCOME_UNKNOWN);
        assert_string_equal(r.reason, "a lightning_address through barkd cannot be looked up "
                                      "automatically: check the backend by hand, then finalize "
                                      "it (API) or fail it here (docs/executor.md)");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),    cmocka_unit_test(test_init),
            cmocka_unit_test(test_hex),      cmocka_unit_test(test_preimage),
            cmocka_unit_test(test_contains), cmocka_unit_test(test_not_lookable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
