/* The head of an answer (api/hreply.c): status line, Date, the handler's
 * fields, framing and Connection, and what happens when fields do not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hreply.h"

static const char *names[] = {"Content-Type", "X-Request-Id"};
static const char *values[] = {"application/json", "req_1"};

/* The head with its Date line cut out (the only part that changes). */
static const char *
head(int status, const struct hreply_fields *f, size_t len, int flags)
{
        static char buf[HREPLY_HEAD_MAX + 1], out[HREPLY_HEAD_MAX + 1];
        size_t n = hreply_head(buf, HREPLY_HEAD_MAX, status, f, len, flags);
        assert_true(n < HREPLY_HEAD_MAX);
        buf[n] = '\0';
        char *d = strstr(buf, "Date: ");
        assert_non_null(d);
        char *e = strstr(d, "\r\n");
        assert_non_null(e);
        snprintf(out, sizeof(out), "%.*s%s", (int)(d - buf), buf, e + 2);
        return out;
}

static void
test_plain(void **state)
{
        (void)state;
        struct hreply_fields f = {names, values, 2};
        assert_string_equal(head(200, &f, 15, 0),
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "X-Request-Id: req_1\r\nContent-Length: 15\r\n\r\n");
        assert_string_equal(
            head(404, NULL, 0, HREPLY_CLOSE),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assert_string_equal(
            head(200, NULL, 7, HREPLY_KEEP_ALIVE),
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\n");
        assert_string_equal(
            head(200, NULL, 0, HREPLY_CHUNKED | HREPLY_CLOSE),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        assert_string_equal(head(304, NULL, 99, HREPLY_NO_LENGTH),
                            "HTTP/1.1 304 Not Modified\r\n\r\n");
        assert_string_equal(head(599, NULL, 0, 0),
                            "HTTP/1.1 599 Unknown\r\nContent-Length: 0\r\n\r\n");
}

static void
test_reasons(void **state)
{
        (void)state;
        assert_string_equal(hreply_reason(413), "Content Too Large");
        assert_string_equal(hreply_reason(431), "Request Header Fields Too Large");
        assert_string_equal(hreply_reason(503), "Service Unavailable");
        assert_string_equal(hreply_reason(1), "Unknown");
}

/* An IMF-fixdate of now (RFC 9110 5.6.7), read back with strptime. */
static void
test_date(void **state)
{
        (void)state;
        char buf[512];
        size_t n = hreply_head(buf, sizeof(buf), 200, NULL, 0, 0);
        buf[n] = '\0';
        char *d = strstr(buf, "Date: ");
        assert_non_null(d);
        d += 6;
        assert_int_equal(strstr(d, "\r\n") - d, 29);
        struct tm tm = {0};
        char *end = strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        assert_non_null(end);
        assert_memory_equal(end, "\r\n", 2);
        time_t t = timegm(&tm), now = time(NULL);
        assert_true(t <= now && now - t <= 2);
}

/* A field that does not fit is left out whole; the framing always fits. */
static void
test_overflow(void **state)
{
        (void)state;
        static char big[HREPLY_HEAD_MAX];
        memset(big, 'a', sizeof(big) - 1);
        const char *n2[] = {"X-Big", "X-Small"};
        const char *v2[] = {big, "b"};
        struct hreply_fields f = {n2, v2, 2};
        char buf[HREPLY_HEAD_MAX];
        size_t n = hreply_head(buf, sizeof(buf), 200, &f, 3, HREPLY_CLOSE);
        assert_true(n < sizeof(buf));
        buf[n] = '\0';
        assert_null(strstr(buf, "X-Big"));
        assert_non_null(strstr(buf, "X-Small: b\r\n"));
        assert_non_null(strstr(buf, "Content-Length: 3\r\nConnection: close\r\n\r\n"));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain),
            cmocka_unit_test(test_reasons),
            cmocka_unit_test(test_date),
            cmocka_unit_test(test_overflow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
