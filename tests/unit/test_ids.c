/* Random ids: shape, alphabet, uniqueness, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

static int
setup(void **state)
{
        (void)state;
        return sodium_init() < 0 ? -1 : 0;
}

static void
test_shape(void **state)
{
        (void)state;
        char id[ID_MAX];
        assert_int_equal(ids_new(id, "rf_"), 0);
        assert_int_equal(strlen(id), 3 + 26);
        assert_true(strncmp(id, "rf_", 3) == 0);
        for (const char *p = id + 3; *p; p++)
                assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", *p));
        assert_true(ids_valid(id, "rf_"));
}

static int
cmp(const void *a, const void *b)
{
        return strcmp(a, b);
}

static void
test_unique(void **state)
{
        (void)state;
        enum { N = 20000 };
        char(*ids)[ID_MAX] = calloc(N, ID_MAX);
        assert_non_null(ids);
        for (int i = 0; i < N; i++)
                assert_int_equal(ids_new(ids[i], "inv_"), 0);
        qsort(ids, N, ID_MAX, cmp);
        for (int i = 1; i < N; i++)
                assert_true(strcmp(ids[i - 1], ids[i]) != 0);
        free(ids);
}

static void
test_every_character_is_used(void **state)
{
        (void)state;
        /* The last character carries 3 bits only; the others must cover the
         * whole alphabet, or the encoder drops bits. */
        int seen[256] = {0};
        char id[ID_MAX];
        for (int i = 0; i < 2000; i++) {
                ids_new(id, "");
                for (int k = 0; k < 25; k++)
                        seen[(unsigned char)id[k]] = 1;
        }
        for (const char *p = "0123456789abcdefghjkmnpqrstvwxyz"; *p; p++)
                assert_true(seen[(unsigned char)*p]);
}

static void
test_fast_ids_are_unique_and_valid(void **state)
{
        (void)state;
        enum { N = 20000 };
        char(*ids)[ID_MAX] = calloc(N, ID_MAX);
        assert_non_null(ids);
        for (int i = 0; i < N; i++) {
                assert_int_equal(ids_new_fast(ids[i], "req_"), 0);
                assert_true(ids_valid(ids[i], "req_"));
        }
        qsort(ids, N, ID_MAX, cmp);
        for (int i = 1; i < N; i++)
                assert_true(strcmp(ids[i - 1], ids[i]) != 0);
        free(ids);
}

static void
test_prefix_too_long(void **state)
{
        (void)state;
        char id[ID_MAX];
        assert_int_equal(ids_new(id, "a_prefix_that_is_far_too_long_"), -1);
}

static void
test_valid(void **state)
{
        (void)state;
        assert_true(ids_valid("rf_0123456789abcdefghjkmnpqrs", "rf_"));
        assert_false(ids_valid("rf_0123456789abcdefghjkmnpqr", "rf_"));   /* short */
        assert_false(ids_valid("rf_0123456789abcdefghjkmnpqrst", "rf_")); /* long */
        assert_false(ids_valid("inv_0123456789abcdefghjkmnpqr", "rf_"));
        assert_false(ids_valid("rf_0123456789abcdefghjkmnpqrI", "rf_")); /* not in alphabet */
        assert_false(ids_valid("rf_0123456789abcdefghjkmnpq'", "rf_"));
        assert_false(ids_valid("", "rf_"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shape),
            cmocka_unit_test(test_unique),
            cmocka_unit_test(test_every_character_is_used),
            cmocka_unit_test(test_fast_ids_are_unique_and_valid),
            cmocka_unit_test(test_prefix_too_long),
            cmocka_unit_test(test_valid),
        };
        return cmocka_run_group_tests_name("ids", tests, setup, NULL);
}
