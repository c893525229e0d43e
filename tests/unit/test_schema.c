/* schema_fit: which database schemas a binary serves (docs/upgrading.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "schema.h"

static enum schema_fit
fit(int version, int level, char *why, size_t n)
{
        struct schema_state have = {version, level};
        return schema_fit(&have, why, n);
}

static void
test_fits(void **state)
{
        (void)state;
        struct schema_state b = schema_built();
        char why[160];
        assert_true(b.version >= 14 && b.level >= 1);
        assert_int_equal(fit(b.version, b.level, why, sizeof(why)), SCHEMA_CURRENT);
        assert_string_equal(why, "");
        assert_int_equal(fit(b.version + 3, b.level, why, sizeof(why)), SCHEMA_NEWER_COMPATIBLE);
        assert_non_null(strstr(why, "newer, compatible"));
        assert_int_equal(fit(b.version - 1, b.level, why, sizeof(why)), SCHEMA_PENDING);
        assert_non_null(strstr(why, "run qpayd migrate"));
        assert_int_equal(fit(0, 1, NULL, 0), SCHEMA_PENDING);
        /* A higher level wins over everything, even an older version number. */
        assert_int_equal(fit(b.version + 1, b.level + 1, why, sizeof(why)), SCHEMA_INCOMPATIBLE);
        assert_non_null(strstr(why, "upgrade it"));
        assert_int_equal(fit(b.version, b.level + 1, NULL, 0), SCHEMA_INCOMPATIBLE);
        assert_true(schema_usable(SCHEMA_CURRENT) && schema_usable(SCHEMA_NEWER_COMPATIBLE));
        assert_false(schema_usable(SCHEMA_PENDING) || schema_usable(SCHEMA_INCOMPATIBLE));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
