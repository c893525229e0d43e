/* The API's one JSON style: whitespace outside strings goes, every other
 * byte stays (strings with their escapes, numbers with every digit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Compacts text into an exact-size copy (so ASan sees any overrun), then
 * in place, and compares both with want. */
static void
compacts(const char *text, const char *want)
{
        size_t n = strlen(text);
        char *src = malloc(n ? n : 1), *dst = malloc(n ? n : 1);
        assert_non_null(src);
        assert_non_null(dst);
        memcpy(src, text, n);
        size_t k = render_json_compact(dst, src, n);
        assert_int_equal(k, strlen(want));
        assert_memory_equal(dst, want, k);
        k = render_json_compact(src, src, n);
        assert_int_equal(k, strlen(want));
        assert_memory_equal(src, want, k);
        free(src);
        free(dst);
}

static void
test_compact(void **state)
{
        (void)state;
        /* PostgreSQL's json_build_object and jsonb output */
        compacts("{\"id\" : \"rf_1\", \"amount_sats\" : 2100000000000000, \"fee_sats\" : null}",
                 "{\"id\":\"rf_1\",\"amount_sats\":2100000000000000,\"fee_sats\":null}");
        compacts("{\"a\": [1, 2.50, -3e+7], \"b\": {\"c\": true, \"d\": false}}",
                 "{\"a\":[1,2.50,-3e+7],\"b\":{\"c\":true,\"d\":false}}");
        compacts(" \t\r\n{ \n\"x\" :\t[ ] , \"y\" : { } }\n ", "{\"x\":[],\"y\":{}}");
        /* already compact: unchanged */
        compacts("{\"error\":{\"code\":\"not_found\"}}", "{\"error\":{\"code\":\"not_found\"}}");
        compacts("", "");
        compacts("12345678901234567890", "12345678901234567890");
}

static void
test_strings_untouched(void **state)
{
        (void)state;
        compacts("{\"k\" : \"a : b, c { } [ ]\"}", "{\"k\":\"a : b, c { } [ ]\"}");
        /* an escaped quote does not end the string; an escaped backslash
         * before the closing quote does not escape it */
        compacts("[\"say \\\" , \\\" x\" , \"c:\\\\\" , \" y \"]",
                 "[\"say \\\" , \\\" x\",\"c:\\\\\",\" y \"]");
        compacts("[\"\\\\\\\"  \" , 1]", "[\"\\\\\\\"  \",1]");
        compacts("{\"\\u0020 key \" : \"\\n \\t \"}", "{\"\\u0020 key \":\"\\n \\t \"}");
        /* UTF-8 passes byte for byte */
        compacts("[\"\xc3\xa9 \xe2\x9c\x93\" , \"\xf0\x9f\x98\x80\"]",
                 "[\"\xc3\xa9 \xe2\x9c\x93\",\"\xf0\x9f\x98\x80\"]");
}

static void
test_malformed_stays_in_bounds(void **state)
{
        (void)state;
        /* not JSON: an unclosed string, a trailing backslash */
        compacts("[\"abc", "[\"abc");
        compacts("[\"abc\\", "[\"abc\\");
        compacts("\"", "\"");
        compacts("\\ \"", "\\\"");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compact),
            cmocka_unit_test(test_strings_untouched),
            cmocka_unit_test(test_malformed_stays_in_bounds),
        };
        return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
