/* sd_notify: socket names (path and abstract), WATCHDOG_USEC/WATCHDOG_PID,
 * the RELOADING message, the watchdog's pace, and one real datagram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

static void
test_address_path(void **state)
{
        (void)state;
        struct sockaddr_un sa;
        socklen_t len = 0;
        assert_int_equal(sdnotify_address("/run/systemd/notify", &sa, &len), 0);
        assert_int_equal(sa.sun_family, AF_UNIX);
        assert_string_equal(sa.sun_path, "/run/systemd/notify");
        assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);
}

static void
test_address_abstract(void **state)
{
        (void)state;
        struct sockaddr_un sa;
        socklen_t len = 0;
        assert_int_equal(sdnotify_address("@qpayd/notify", &sa, &len), 0);
        assert_int_equal(sa.sun_path[0], '\0');
        assert_memory_equal(sa.sun_path + 1, "qpayd/notify", 12);
        /* no trailing NUL in an abstract name's length */
        assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 13);
}

static void
test_address_refused(void **state)
{
        (void)state;
        struct sockaddr_un sa;
        socklen_t len = 0;
        char longest[sizeof(sa.sun_path) + 2];
        memset(longest, 'a', sizeof(longest) - 1);
        longest[0] = '/';
        longest[sizeof(longest) - 1] = '\0';
        assert_int_equal(sdnotify_address(NULL, &sa, &len), -1);
        assert_int_equal(sdnotify_address("", &sa, &len), -1);
        assert_int_equal(sdnotify_address("@", &sa, &len), -1);
        assert_int_equal(sdnotify_address("run/notify", &sa, &len), -1);
        assert_int_equal(sdnotify_address(longest, &sa, &len), -1);
        longest[sizeof(sa.sun_path)] = '\0'; /* exactly sun_path long: no room for the NUL */
        assert_int_equal(sdnotify_address(longest, &sa, &len), -1);
        longest[0] = '@'; /* an abstract name may fill it */
        assert_int_equal(sdnotify_address(longest, &sa, &len), 0);
        assert_int_equal(len, sizeof(sa));
}

static void
test_watchdog_parse(void **state)
{
        (void)state;
        assert_int_equal(sdnotify_watchdog_parse("30000000", NULL, 42), 30000000);
        assert_int_equal(sdnotify_watchdog_parse("30000000", "42", 42), 30000000);
        assert_int_equal(sdnotify_watchdog_parse("30000000", "43", 42), 0);
        assert_int_equal(sdnotify_watchdog_parse("30000000", "x", 42), 0);
        assert_int_equal(sdnotify_watchdog_parse(NULL, "42", 42), 0);
        assert_int_equal(sdnotify_watchdog_parse("", NULL, 42), 0);
        assert_int_equal(sdnotify_watchdog_parse("-5", NULL, 42), 0);
        assert_int_equal(sdnotify_watchdog_parse("10s", NULL, 42), 0);
}

static void
test_reloading_message(void **state)
{
        (void)state;
        char buf[64];
        assert_int_equal(sdnotify_format_reloading(buf, sizeof(buf), 1234567890123ULL), 0);
        assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567890123");
        assert_int_equal(sdnotify_format_reloading(buf, 12, 1), -1);
}

static void
test_watchdog_pace(void **state)
{
        (void)state;
        struct sdnotify_watchdog w = {.interval_usec = 0, .last_usec = 0};
        assert_int_equal(sdnotify_watchdog_wait_ms(&w, 5000000), -1);
        w.interval_usec = 4000000;                                   /* 4 s: a ping every 2 s */
        assert_int_equal(sdnotify_watchdog_wait_ms(&w, 5000000), 0); /* never pinged */
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(sdnotify_watchdog_ping(&w, 5000000), 0);
        assert_int_equal(w.last_usec, 5000000);
        assert_int_equal(sdnotify_watchdog_wait_ms(&w, 5500000), 1500);
        assert_int_equal(sdnotify_watchdog_ping(&w, 5500000), 0);
        assert_int_equal(w.last_usec, 5000000); /* not due: not sent */
        assert_int_equal(sdnotify_watchdog_wait_ms(&w, 7000000), 0);
        w.interval_usec = 3600000000ULL * 24;
        assert_int_equal(sdnotify_watchdog_wait_ms(&w, 5000001), 60000); /* capped */
}

/* A real datagram to an abstract socket, and nothing without NOTIFY_SOCKET. */
static void
test_send(void **state)
{
        (void)state;
        char name[64];
        snprintf(name, sizeof(name), "@qpayd-test-sdnotify-%ld", (long)getpid());
        struct sockaddr_un sa;
        socklen_t len;
        assert_int_equal(sdnotify_address(name, &sa, &len), 0);
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(sdnotify_send("READY=1"), 0);
        setenv("NOTIFY_SOCKET", name, 1);
        assert_int_equal(sdnotify_send("READY=1"), 0);
        char buf[128];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        assert_int_equal(n, 7);
        buf[n] = '\0';
        assert_string_equal(buf, "READY=1");
        assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1); /* just one */
        close(fd);
        assert_int_equal(sdnotify_send("STOPPING=1"), -1); /* nobody listens any more */
        setenv("NOTIFY_SOCKET", "relative", 1);
        assert_int_equal(sdnotify_send("READY=1"), -1);
        unsetenv("NOTIFY_SOCKET");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_address_path),
            cmocka_unit_test(test_address_abstract),
            cmocka_unit_test(test_address_refused),
            cmocka_unit_test(test_watchdog_parse),
            cmocka_unit_test(test_reloading_message),
            cmocka_unit_test(test_watchdog_pace),
            cmocka_unit_test(test_send),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
