/* The CSV of the exports: exact BTC decimals, RFC 4180 quoting, formulas
 * neutralised; and the filter times of the lists (listq_time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "listq.h"

static void
test_btc_exact(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"0", "0.00000000"},
            {"1", "0.00000001"},
            {"99999999", "0.99999999"},
            {"100000000", "1.00000000"},
            {"150000000", "1.50000000"},
            {"2100000000000000", "21000000.00000000"},
            {"-250", "-0.00000250"},
            {"-0", "0.00000000"},
            {"999999999999999999", "9999999999.99999999"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char out[40];
                assert_int_equal(csv_btc(cases[i][0], out, sizeof(out)), 0);
                assert_string_equal(out, cases[i][1]);
        }
        char out[40];
        const char *bad[] = {"", "-", "1.5", "12a", " 1", "1000000000000000000", "1e8"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(csv_btc(bad[i], out, sizeof(out)), -1);
        assert_int_equal(csv_btc("150000000", out, 10), -1); /* does not fit */
}

/* The field as csv_field writes it, NUL-terminated (caller frees). */
static char *
field(const char *v, enum csv_kind kind)
{
        struct evbuffer *b = evbuffer_new();
        assert_non_null(b);
        assert_int_equal(csv_field(b, v, kind), 0);
        size_t n = evbuffer_get_length(b);
        char *s = malloc(n + 1);
        assert_non_null(s);
        evbuffer_remove(b, s, n);
        s[n] = '\0';
        evbuffer_free(b);
        return s;
}

static void
test_fields(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                enum csv_kind kind;
                const char *out;
        } cases[] = {
            {"plain", CSV_TEXT, "plain"},
            {"a,b", CSV_TEXT, "\"a,b\""},
            {"say \"hi\"", CSV_TEXT, "\"say \"\"hi\"\"\""},
            {"two\r\nlines", CSV_TEXT, "\"two\r\nlines\""},
            {"=1+1", CSV_TEXT, "\"'=1+1\""},
            {"+SUM(A1)", CSV_TEXT, "\"'+SUM(A1)\""},
            {"-2", CSV_TEXT, "\"'-2\""},
            {"@cmd", CSV_TEXT, "\"'@cmd\""},
            {"\tx", CSV_TEXT, "\"'\tx\""},
            {"=\"x\"", CSV_TEXT, "\"'=\"\"x\"\"\""},
            {"a=b", CSV_TEXT, "a=b"},
            {"-5", CSV_PLAIN, "-5"}, /* numbers are never changed */
            {"2026-01-02 03:04:05", CSV_PLAIN, "2026-01-02 03:04:05"},
            {"150000000", CSV_BTC, "1.50000000"},
            {"t", CSV_BOOL, "true"},
            {"f", CSV_BOOL, "false"},
            {"", CSV_TEXT, ""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = field(cases[i].in, cases[i].kind);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
        char *s = field(NULL, CSV_BTC);
        assert_string_equal(s, ""); /* NULL: an empty field */
        free(s);
        struct evbuffer *b = evbuffer_new();
        assert_int_equal(csv_field(b, "1.5", CSV_BTC), -1);
        evbuffer_free(b);
}

static void
test_filter_times(void **state)
{
        (void)state;
        static const char *const ok[][2] = {
            {"2026-01-31", "2026-01-31T00:00:00.000000Z"},
            {"2026-01-31T23:00:00Z", "2026-01-31T23:00:00.000000Z"},
            {"2026-01-31T23:00Z", "2026-01-31T23:00:00.000000Z"},
            {"2026-02-01T00:30:00.5+01:00", "2026-01-31T23:30:00.500000Z"},
            {"2026-02-01T00:30:00.5 01:00", "2026-01-31T23:30:00.500000Z"},
            {"2026-12-31T23:00:00-02:00", "2027-01-01T01:00:00.000000Z"},
            {"2024-02-29T12:00:00.1234567Z", "2024-02-29T12:00:00.123456Z"},
            {"2000-02-29t00:00:00z", "2000-02-29T00:00:00.000000Z"},
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                char out[LISTQ_TS];
                assert_int_equal(listq_time(ok[i][0], out), 0);
                assert_string_equal(out, ok[i][1]);
        }
        static const char *const bad[] = {
            "",
            "yesterday",
            "2026-1-31",
            "2026-02-30",
            "2025-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-01-31T24:00:00Z",
            "2026-01-31T23:60:00Z",
            "2026-01-31T23:00:00",
            "2026-01-31T23:00:00.Z",
            "2026-01-31T23:00:00+0100",
            "2026-01-31 23:00:00Z",
            "9999-12-31T23:00:00-05:00",
            "1969-12-31T23:00:00Z",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char out[LISTQ_TS];
                if (listq_time(bad[i], out) != -1)
                        fail_msg("accepted %s", bad[i]);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_btc_exact),
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_filter_times),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
