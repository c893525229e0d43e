/* logfmt output: one line per event, values quoted and escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char *cap_buf;
static size_t cap_len;

/* Returns what one log_event wrote; the caller frees it. */
static char *
capture(enum log_level level, const char *msg, const char *k, const char *v)
{
        FILE *f = open_memstream(&cap_buf, &cap_len);
        log_set_stream(f);
        log_event(level, msg, k, v, (char *)NULL);
        log_set_stream(NULL);
        fclose(f);
        return cap_buf;
}

static void
test_line_shape(void **state)
{
        (void)state;
        log_set_level(LOG_DEBUG);
        char *line = capture(LOG_INFO, "listening", "addr", "127.0.0.1:8080");
        assert_true(strncmp(line, "ts=", 3) == 0);
        assert_non_null(strstr(line, " level=info msg=listening addr=127.0.0.1:8080\n"));
        assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
        free(line);
}

static void
test_quoting(void **state)
{
        (void)state;
        char out[128];
        log_quote(out, sizeof(out), "plain");
        assert_string_equal(out, "plain");
        log_quote(out, sizeof(out), "two words");
        assert_string_equal(out, "\"two words\"");
        log_quote(out, sizeof(out), "");
        assert_string_equal(out, "\"\"");
        log_quote(out, sizeof(out), "a=b");
        assert_string_equal(out, "\"a=b\"");
        log_quote(out, sizeof(out), "say \"hi\"\\");
        assert_string_equal(out, "\"say \\\"hi\\\"\\\\\"");
        log_quote(out, sizeof(out), "line\nbreak");
        assert_string_equal(out, "\"line\\nbreak\"");
        log_quote(out, sizeof(out), "bell\a");
        assert_string_equal(out, "\"bell\\x07\"");
        log_quote(out, sizeof(out), NULL);
        assert_string_equal(out, "\"\"");
}

static void
test_quote_truncates_safely(void **state)
{
        (void)state;
        char out[6];
        size_t n = log_quote(out, sizeof(out), "abcdefghij");
        assert_int_equal(n, 5);
        assert_string_equal(out, "abcde");
}

static void
test_newline_in_value_stays_one_line(void **state)
{
        (void)state;
        log_set_level(LOG_DEBUG);
        char *line = capture(LOG_WARN, "multi\nline", "k", "v\r\nx");
        assert_non_null(strstr(line, "msg=\"multi\\nline\" k=\"v\\x0d\\nx\""));
        assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
        free(line);
}

static void
test_level_filter(void **state)
{
        (void)state;
        log_set_level(LOG_WARN);
        char *line = capture(LOG_INFO, "hidden", "k", "v");
        assert_string_equal(line, "");
        free(line);
        line = capture(LOG_ERROR, "shown", "k", "v");
        assert_non_null(strstr(line, "level=error msg=shown"));
        free(line);
        log_set_level(LOG_INFO);
}

static void
test_level_parse(void **state)
{
        (void)state;
        enum log_level l;
        assert_int_equal(log_level_parse("debug", &l), 0);
        assert_int_equal(l, LOG_DEBUG);
        assert_int_equal(log_level_parse("error", &l), 0);
        assert_int_equal(l, LOG_ERROR);
        assert_int_equal(log_level_parse("verbose", &l), -1);
        assert_int_equal(log_level_parse("", &l), -1);
}

static void
test_i64(void **state)
{
        (void)state;
        char b[24];
        assert_string_equal(log_i64(b, 0), "0");
        assert_string_equal(log_i64(b, INT64_MIN), "-9223372036854775808");
        assert_string_equal(log_i64(b, 2100000000000000LL), "2100000000000000");
}

static void
test_i64_by_hand(void **state)
{
        (void)state;
        static const int64_t v[] = {1, 9, 10, -1, -10, 200, 999, 1000, INT64_MAX, INT64_MIN + 1};
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                char b[24], want[24];
                snprintf(want, sizeof(want), "%lld", (long long)v[i]);
                assert_string_equal(log_i64(b, v[i]), want);
        }
}

/* log_ms writes what http.c's "%lld.%03lld" of us / 1000, us % 1000 did. */
static void
test_ms(void **state)
{
        (void)state;
        static const int64_t v[] = {
            0,      1,       9,  10, 99,    100,  999,           1000,      1001,     12345,
            999999, 1000000, 40, -1, -1500, -999, 86400000000LL, INT64_MAX, INT64_MIN};
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                char b[LOG_MS_SIZE], want[LOG_MS_SIZE];
                snprintf(want, sizeof(want), "%lld.%03lld", (long long)(v[i] / 1000),
                         (long long)(v[i] % 1000));
                assert_string_equal(log_ms(b, v[i]), want);
        }
        char b[LOG_MS_SIZE];
        assert_string_equal(log_ms(b, 12345), "12.345");
        assert_string_equal(log_ms(b, 7), "0.007");
}

/* The line as log.c built it with snprintf before it was written by hand
 * (issue 12), given the same "ts=...Z" prefix: the format must not change
 * by a byte, truncation of long lines included. */
static size_t
ref_quote(char *out, size_t outsz, const char *value)
{
        size_t n = 0;
        if (outsz == 0)
                return 0;
#define PUT(c)                                                                                     \
        do {                                                                                       \
                if (n + 1 < outsz)                                                                 \
                        out[n++] = (c);                                                            \
        } while (0)
        if (value == NULL)
                value = "";
        int quote = *value == '\0';
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
                if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
                        quote = 1;
        if (quote)
                PUT('"');
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        PUT('\\');
                        PUT(*p);
                } else if (*p == '\n') {
                        PUT('\\');
                        PUT('n');
                } else if (*p < ' ' || *p == 0x7f) {
                        char hex[5];
                        snprintf(hex, sizeof(hex), "\\x%02x", *p);
                        for (int i = 0; i < 4; i++)
                                PUT(hex[i]);
                } else {
                        PUT(*p);
                }
        }
        if (quote)
                PUT('"');
#undef PUT
        out[n] = '\0';
        return n;
}

static char *
ref_line(const char *ts, const char *level, const char *msg, const char *const *kv)
{
        static char line[4096];
        size_t n = (size_t)snprintf(line, sizeof(line), "%s level=%s msg=", ts, level);
        n += ref_quote(line + n, sizeof(line) - n, msg);
        for (; *kv != NULL; kv += 2) {
                if (n + 2 >= sizeof(line))
                        break;
                n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=", kv[0]);
                if (n >= sizeof(line))
                        break;
                n += ref_quote(line + n, sizeof(line) - n, kv[1]);
        }
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        line[n] = '\0';
        return line;
}

static void
check_same_as_ref(const char *msg, const char *const kv[7])
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        log_set_stream(f);
        log_event(LOG_WARN, msg, kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], (char *)NULL);
        log_set_stream(NULL);
        fclose(f);
        /* "ts=2026-12-07T06:43:28.123Z" */
        assert_true(len > 27);
        assert_int_equal(buf[26], 'Z');
        char ts[28];
        memcpy(ts, buf, 27);
        ts[27] = '\0';
        const char *want = ref_line(ts, "warn", msg, kv);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(buf, want, len);
        free(buf);
}

static void
test_same_bytes_as_before(void **state)
{
        (void)state;
        log_set_level(LOG_DEBUG);
        static char all[256], big[5000], escapes[5000];
        for (int i = 1; i < 256; i++)
                all[i - 1] = (char)i;
        memset(big, 'a', sizeof(big) - 1);
        for (size_t i = 0; i + 1 < sizeof(escapes); i++)
                escapes[i] = "\"\\\n\t x=\x7f\xc3\xa9"[i % 10];
        const char *values[] = {"plain",    "",         NULL, "two words", "a=b",  all,
                                "\xff\xfe", "tab\tend", "\\", "\"",        escapes};
        size_t nv = sizeof(values) / sizeof(values[0]);
        for (size_t i = 0; i < nv; i++) {
                for (size_t j = 0; j < nv; j++) {
                        const char *kv[7] = {"k",  values[i], "key_two", values[j],
                                             NULL, NULL,      NULL};
                        check_same_as_ref(values[j] ? values[j] : "m", kv);
                }
        }
        /* Long lines: the cut falls on every byte of an escape, a key and
         * the closing quote in turn. */
        for (size_t cut = 4040; cut < 4100; cut++) {
                big[cut - 60] = '\0';
                const char *kv[7] = {"k", big, "key", "v w", "long_key_name", escapes + cut % 7,
                                     NULL};
                check_same_as_ref("request", kv);
                memset(big, 'a', sizeof(big) - 1);
                escapes[cut - 50] = '\0';
                const char *kv2[7] = {"k", escapes + cut % 5, "key", "v", "k3", "x", NULL};
                check_same_as_ref("m", kv2);
                for (size_t i = 0; i + 1 < sizeof(escapes); i++)
                        escapes[i] = "\"\\\n\t x=\x7f\xc3\xa9"[i % 10];
        }
        const char *kv[7] = {big, "v", "k", "v", NULL, NULL, NULL};
        check_same_as_ref("key longer than the line", kv);
        log_set_level(LOG_INFO);
}

static void
test_quote_every_byte(void **state)
{
        (void)state;
        for (int c = 1; c < 256; c++) {
                char v[4] = {'a', (char)c, 'b', 0}, got[16], want[16];
                size_t n = log_quote(got, sizeof(got), v);
                assert_int_equal(n, ref_quote(want, sizeof(want), v));
                assert_string_equal(got, want);
                for (size_t sz = 0; sz < 9; sz++) {
                        memset(got, 'X', sizeof(got));
                        memset(want, 'X', sizeof(want));
                        assert_int_equal(log_quote(got, sz, v), ref_quote(want, sz, v));
                        assert_memory_equal(got, want, sizeof(got));
                }
        }
}

/* The second of the clock log.c reads: time() reads a coarser clock,
 * which can still be in the second before it. */
static time_t
realtime_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec;
}

/* The cached "ts=" prefix is the clock's second, in UTC. */
static void
test_ts_follows_clock(void **state)
{
        (void)state;
        log_set_level(LOG_DEBUG);
        for (int round = 0; round < 2; round++) {
                time_t before = realtime_s();
                char *line = capture(LOG_INFO, "tick", "k", "v");
                time_t after = realtime_s();
                struct tm tm = {0};
                int ms = -1;
                assert_int_equal(sscanf(line, "ts=%d-%d-%dT%d:%d:%d.%3dZ ", &tm.tm_year, &tm.tm_mon,
                                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms),
                                 7);
                tm.tm_year -= 1900;
                tm.tm_mon -= 1;
                time_t t = timegm(&tm);
                assert_true(t >= before && t <= after);
                assert_true(ms >= 0 && ms <= 999);
                free(line);
                if (round == 0) {
                        /* into the next second: the prefix must follow */
                        while (realtime_s() == after)
                                usleep(10000);
                }
        }
        log_set_level(LOG_INFO);
}

static int kicks;

static void
kick(void *arg)
{
        (void)arg;
        kicks++;
}

/* Gathered info lines wait for the flush; a warning writes them first and
 * then itself, so a thread's lines keep their order. */
static void
test_buffered_lines_keep_their_order(void **state)
{
        (void)state;
        log_set_level(LOG_INFO);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        log_set_stream(f);
        kicks = 0;
        assert_int_equal(log_buffer_start(kick, NULL), 0);
        log_info("one");
        log_info("two");
        fflush(f);
        assert_int_equal(len, 0);
        assert_int_equal(kicks, 1);
        log_warn("three");
        fflush(f);
        char *one = strstr(buf, "msg=one\n"), *two = strstr(buf, "msg=two\n"),
             *three = strstr(buf, "msg=three\n");
        assert_non_null(one);
        assert_non_null(two);
        assert_non_null(three);
        assert_true(one < two && two < three);
        log_info("four");
        assert_int_equal(kicks, 2);
        log_buffer_flush();
        fflush(f);
        assert_non_null(strstr(buf, "msg=four\n"));
        /* More than the buffer holds is written, not lost. */
        for (int i = 0; i < 1000; i++)
                log_info("many", "i", "0123456789012345678901234567890123456789");
        log_buffer_stop();
        fflush(f);
        size_t lines = 0;
        for (char *p = buf; (p = strstr(p, "msg=many")) != NULL; p++)
                lines++;
        assert_int_equal(lines, 1000);
        log_set_stream(NULL);
        fclose(f);
        free(buf);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_line_shape),
            cmocka_unit_test(test_quoting),
            cmocka_unit_test(test_quote_truncates_safely),
            cmocka_unit_test(test_newline_in_value_stays_one_line),
            cmocka_unit_test(test_level_filter),
            cmocka_unit_test(test_level_parse),
            cmocka_unit_test(test_i64),
            cmocka_unit_test(test_i64_by_hand),
            cmocka_unit_test(test_ms),
            cmocka_unit_test(test_same_bytes_as_before),
            cmocka_unit_test(test_quote_every_byte),
            cmocka_unit_test(test_ts_follows_clock),
            cmocka_unit_test(test_buffered_lines_keep_their_order),
        };
        return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
