/* JSON as text: nesting depth and raw member extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "jsontext.h"

static void
test_depth(void **state)
{
        (void)state;
        assert_int_equal(json_depth("{}", 2), 1);
        assert_int_equal(json_depth("1", 1), 0);
        assert_int_equal(json_depth("{\"a\":[{\"b\":[]}]}", 16), 4);
        /* brackets inside strings do not count, escaped quotes stay inside */
        const char *s = "{\"a\":\"[[[[\\\"[[[[\"}";
        assert_int_equal(json_depth(s, strlen(s)), 1);
}

static void
member(const char *text, const char *key, const char *want)
{
        size_t off = 0, len = 0;
        int rc = json_raw_member(text, strlen(text), key, &off, &len);
        if (want == NULL) {
                assert_int_equal(rc, -1);
                return;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text + off, want, len);
}

static void
test_raw_member(void **state)
{
        (void)state;
        member("{\"metadata\": {\"order\": 12345678901234567}}", "metadata",
               "{\"order\": 12345678901234567}");
        member("{\"a\":1,\"metadata\":[1,{\"x\":\"}\"}],\"b\":2}", "metadata", "[1,{\"x\":\"}\"}]");
        member("{\"metadata\" :  \"s\\\"t\" , \"z\":1}", "metadata", "\"s\\\"t\"");
        member("{\"metadata\":12345678901234567890}", "metadata", "12345678901234567890");
        member("{\"metadata\":null}", "metadata", "null");
        /* a nested key of the same name is not the top-level member */
        member("{\"a\":{\"metadata\":1}}", "metadata", NULL);
        /* a string value equal to the key is not a key */
        member("{\"a\":\"metadata\"}", "metadata", NULL);
        member("{}", "metadata", NULL);
}

static void
element(const char *arr, int idx, const char *want)
{
        size_t off = 0, len = 0;
        int rc = json_raw_element(arr, strlen(arr), idx, &off, &len);
        if (want == NULL) {
                assert_int_equal(rc, -1);
                return;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(arr + off, want, len);
}

static void
test_raw_element(void **state)
{
        (void)state;
        const char *arr = "[ {\"amount\": -0.00002000, \"c\": \"a,]\"} , 12 ,\"x\",[1,[2]]]";
        element(arr, 0, "{\"amount\": -0.00002000, \"c\": \"a,]\"}");
        element(arr, 1, "12");
        element(arr, 2, "\"x\"");
        element(arr, 3, "[1,[2]]");
        element(arr, 4, NULL);
        element("[]", 0, NULL);
        element("{\"a\":1}", 0, NULL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_depth),
            cmocka_unit_test(test_raw_member),
            cmocka_unit_test(test_raw_element),
        };
        return cmocka_run_group_tests_name("jsontext", tests, NULL, NULL);
}
