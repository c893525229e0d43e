/* logfmt output: one line per event, values quoted and escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            cmocka_unit_test(test_buffered_lines_keep_their_order),
        };
        return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
