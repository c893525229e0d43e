/* bitcoind JSON-RPC pieces (common/btcrpc.c): the legacy request body, the
 * rpc_auth split and the wallet URL (BACKENDS.md, "bitcoind"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "btcrpc.h"

static void
request_body(void **state)
{
        (void)state;
        char *s = btcrpc_request("getwalletinfo", NULL, "qpayd");
        assert_string_equal(s, "{\"id\":\"qpayd\",\"method\":\"getwalletinfo\",\"params\":[]}");
        free(s);
        s = btcrpc_request("createwallet", "{\"wallet_name\":\"watch\",\"blank\":true}", "7");
        assert_string_equal(s, "{\"id\":\"7\",\"method\":\"createwallet\",\"params\":"
                               "{\"wallet_name\":\"watch\",\"blank\":true}}");
        free(s);
}

static void
request_is_legacy_json(void **state)
{
        (void)state;
        /* A method name that needs escaping still gives valid JSON, and no
         * "jsonrpc" member (that would switch Core to 2.0 replies). */
        char *s = btcrpc_request("get\"x", "[\"a b\",1]", "i");
        cJSON *o = cJSON_Parse(s);
        assert_non_null(o);
        assert_string_equal(cJSON_GetObjectItem(o, "method")->valuestring, "get\"x");
        assert_null(cJSON_GetObjectItem(o, "jsonrpc"));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "params")), 2);
        cJSON_Delete(o);
        free(s);
        assert_null(btcrpc_request(NULL, NULL, "i"));
        assert_null(btcrpc_request("getblockcount", NULL, NULL));
}

static void
auth_split(void **state)
{
        (void)state;
        char user[16];
        const char *pw = NULL;
        assert_int_equal(btcrpc_auth_split("watch:s3cr:et", user, sizeof(user), &pw), 0);
        assert_string_equal(user, "watch");
        assert_string_equal(pw, "s3cr:et"); /* the password may hold ':' */
        assert_int_equal(btcrpc_auth_split("__cookie__:abc", user, sizeof(user), &pw), 0);
        assert_string_equal(user, "__cookie__");
        assert_string_equal(pw, "abc");
        assert_int_equal(btcrpc_auth_split(":empty-user", user, sizeof(user), &pw), 0);
        assert_string_equal(user, "");
        assert_int_equal(btcrpc_auth_split("no-colon", user, sizeof(user), &pw), -1);
        assert_int_equal(btcrpc_auth_split(NULL, user, sizeof(user), &pw), -1);
        /* the user must fit, with its NUL */
        assert_int_equal(btcrpc_auth_split("0123456789abcdef:pw", user, sizeof(user), &pw), -1);
        assert_int_equal(btcrpc_auth_split("0123456789abcde:pw", user, sizeof(user), &pw), 0);
        assert_string_equal(user, "0123456789abcde");
}

static void
url(void **state)
{
        (void)state;
        char buf[128];
        assert_int_equal(btcrpc_url("http://127.0.0.1:8332", NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://127.0.0.1:8332");
        assert_int_equal(btcrpc_url("http://127.0.0.1:8332", "watch", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://127.0.0.1:8332/wallet/watch");
        /* a space and a slash are percent-encoded: the name is one path segment */
        assert_int_equal(btcrpc_url("http://n:8332", "my shop/watch", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://n:8332/wallet/my%20shop%2Fwatch");
        assert_int_equal(btcrpc_url("http://n", "a-b_c.d~e%", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://n/wallet/a-b_c.d~e%25");
        assert_int_equal(btcrpc_url("http://n", "\xc3\xa9", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://n/wallet/%C3%A9");
        assert_int_equal(btcrpc_url("http://n", "", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://n/wallet/");
}

static void
url_too_long(void **state)
{
        (void)state;
        char buf[24];
        /* "http://n/wallet/" is 16: 7 plain characters fit, 8 do not */
        assert_int_equal(btcrpc_url("http://n", "abcdefg", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "http://n/wallet/abcdefg");
        assert_int_equal(btcrpc_url("http://n", "abcdefgh", buf, sizeof(buf)), -1);
        /* an escape needs three: "ab cd" is 7 characters after encoding */
        assert_int_equal(btcrpc_url("http://n", "ab cd", buf, sizeof(buf)), 0);
        assert_int_equal(btcrpc_url("http://n", "abc de", buf, sizeof(buf)), -1);
        assert_int_equal(btcrpc_url("http://a-very-long-host-name", NULL, buf, sizeof(buf)), -1);
}

static void
call_without_login_sends_nothing(void **state)
{
        (void)state;
        struct btcrpc b = {.url = "http://127.0.0.1:9", .wallet = "watch", .rpc_auth = "nocolon"};
        struct btcrpc_reply r;
        assert_int_equal(btcrpc_call(&b, "getwalletinfo", NULL, &r), -1);
        assert_string_equal(r.error, "getwalletinfo: rpc_auth is not user:password");
        assert_null(strstr(r.error, "nocolon"));
        assert_null(r.result);
        btcrpc_reply_free(&r);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(request_body), cmocka_unit_test(request_is_legacy_json),
            cmocka_unit_test(auth_split),   cmocka_unit_test(url),
            cmocka_unit_test(url_too_long), cmocka_unit_test(call_without_login_sends_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
