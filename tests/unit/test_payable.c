/* common/payable.c: which payout backend pays which destination type, the
 * answer the executor's pass, --dry-run and the API's execution field share;
 * and the executor's backend table agrees with it for every pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "payable.h"
#include "payout.h"

static const char *const backends[] = {"phoenixd", "barkd", "bitcoind"};

/* The expected matrix: rows backends, columns enum dest_type. */
static const int expected[3][DEST_BITCOIN_ADDRESS + 1] = {
    /* bolt11 offer address lnurl bitcoin */
    {1, 1, 1, 0, 0}, /* phoenixd: no LNURL-pay call */
    {1, 1, 1, 1, 0}, /* barkd */
    {0, 0, 0, 0, 1}, /* bitcoind */
};

static void
test_matrix(void **state)
{
        (void)state;
        for (size_t b = 0; b < 3; b++)
                for (int t = DEST_BOLT11; t <= DEST_BITCOIN_ADDRESS; t++) {
                        char why[200] = "";
                        int got = payable_check(backends[b], (enum dest_type)t, why, sizeof(why));
                        assert_int_equal(got, expected[b][t]);
                        if (!got) {
                                assert_non_null(strstr(why, backends[b]));
                                assert_non_null(strstr(why, dest_type_name((enum dest_type)t)));
                        }
                }
}

static void
test_unknown_backend(void **state)
{
        (void)state;
        char why[200] = "";
        assert_int_equal(payable_check("lnd", DEST_BOLT11, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "lnd"));
        assert_int_equal(payable_check(NULL, DEST_BOLT11, NULL, 0), 0);
}

/* The executor's table: every backend found by its name, and its supports
 * (what the pass asks) gives payable_check's answer. */
static void
test_table_agrees(void **state)
{
        (void)state;
        assert_null(payout_backend_find("lnd"));
        assert_null(payout_backend_find(NULL));
        for (size_t b = 0; b < 3; b++) {
                const struct payout_backend *be = payout_backend_find(backends[b]);
                assert_non_null(be);
                assert_string_equal(be->name, backends[b]);
                assert_non_null(be->pay);
                assert_non_null(be->lookup);
                assert_non_null(be->check);
                for (int t = DEST_BOLT11; t <= DEST_BITCOIN_ADDRESS; t++) {
                        struct dest d = {.type = (enum dest_type)t};
                        char why[200];
                        struct config_backend cb = {.present = true,
                                                    .backend = (char *)backends[b]};
                        assert_int_equal(be->supports(&d, why, sizeof(why)), expected[b][t]);
                        assert_int_equal(payout_supported(&cb, &d, why, sizeof(why)),
                                         expected[b][t]);
                }
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_matrix),
            cmocka_unit_test(test_unknown_backend),
            cmocka_unit_test(test_table_agrees),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
