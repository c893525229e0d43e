/* SQLSTATE mapping, error names and retry classes; and that a failed connect
 * never shows the URL or its password; a connect to a server that never
 * answers is bounded. No database needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"

static void
test_mapped_sqlstates(void **state)
{
        (void)state;
        static const struct {
                const char *code;
                enum db_err err;
        } cases[] = {
            {"23505", DB_ERR_UNIQUE},         {"23503", DB_ERR_FOREIGN_KEY},
            {"23514", DB_ERR_CHECK},          {"23502", DB_ERR_CHECK},
            {"40001", DB_ERR_SERIALIZATION},  {"40P01", DB_ERR_SERIALIZATION},
            {"55P03", DB_ERR_LOCK_NOT_AVAIL}, {"57014", DB_ERR_QUERY_CANCELED},
            {"57P01", DB_ERR_CONNECTION},     {"57P02", DB_ERR_CONNECTION},
            {"57P03", DB_ERR_CONNECTION},     {"42P01", DB_ERR_UNDEFINED},
            {"42703", DB_ERR_UNDEFINED},      {"42883", DB_ERR_UNDEFINED},
            {"42501", DB_ERR_PRIVILEGE},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                enum db_err got = db_err_from_sqlstate(cases[i].code);
                if (got != cases[i].err)
                        fail_msg("%s: got %s, want %s", cases[i].code, db_err_name(got),
                                 db_err_name(cases[i].err));
        }
}

static void
test_connection_class(void **state)
{
        (void)state;
        /* Every class 08 code, known or not. */
        const char *codes[] = {"08000", "08003", "08006", "08001",
                               "08004", "08007", "08P01", "08ZZZ"};
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                assert_int_equal(db_err_from_sqlstate(codes[i]), DB_ERR_CONNECTION);
}

static void
test_unmapped_sqlstates(void **state)
{
        (void)state;
        /* Neighbours of mapped codes stay OTHER: mapping is exact outside class 08. */
        const char *codes[] = {"00000", "23000", "23001", "23P01", "23506", "40000", "40002",
                               "40003", "42000", "42601", "42704", "42P02", "55000", "55P02",
                               "57000", "57P04", "25P02", "53300", "XX000", "P0001", "22003"};
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                if (db_err_from_sqlstate(codes[i]) != DB_ERR_OTHER)
                        fail_msg("%s should map to other", codes[i]);
        }
}

static void
test_null_and_garbage(void **state)
{
        (void)state;
        const char *garbage[] = {"",   "2350", "235055", "23505 ", " 2350", "2350a",
                                 "08", "0800", "08\n00", "p0001",  "23-05", "\xff\xff\xff\xff\xff"};
        assert_int_equal(db_err_from_sqlstate(NULL), DB_ERR_OTHER);
        for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
                if (db_err_from_sqlstate(garbage[i]) != DB_ERR_OTHER)
                        fail_msg("garbage #%zu should map to other", i);
        }
}

static void
test_names(void **state)
{
        (void)state;
        assert_string_equal(db_err_name(DB_OK), "ok");
        assert_string_equal(db_err_name(DB_ERR_CONNECTION), "connection");
        assert_string_equal(db_err_name(DB_ERR_UNIQUE), "unique_violation");
        assert_string_equal(db_err_name(DB_ERR_FOREIGN_KEY), "foreign_key_violation");
        assert_string_equal(db_err_name(DB_ERR_CHECK), "check_violation");
        assert_string_equal(db_err_name(DB_ERR_SERIALIZATION), "serialization_failure");
        assert_string_equal(db_err_name(DB_ERR_LOCK_NOT_AVAIL), "lock_not_available");
        assert_string_equal(db_err_name(DB_ERR_QUERY_CANCELED), "query_canceled");
        assert_string_equal(db_err_name(DB_ERR_UNDEFINED), "undefined_object");
        assert_string_equal(db_err_name(DB_ERR_PRIVILEGE), "insufficient_privilege");
        assert_string_equal(db_err_name(DB_ERR_OTHER), "other");
        assert_string_equal(db_err_name((enum db_err)(DB_ERR_OTHER + 1)), "unknown");
        assert_string_equal(db_err_name((enum db_err) - 1), "unknown");
}

static void
test_retryable(void **state)
{
        (void)state;
        for (int e = DB_OK; e <= DB_ERR_OTHER; e++) {
                bool want = e == DB_ERR_CONNECTION || e == DB_ERR_SERIALIZATION ||
                            e == DB_ERR_LOCK_NOT_AVAIL;
                if (db_err_retryable((enum db_err)e) != want)
                        fail_msg("%s: retryable should be %d", db_err_name((enum db_err)e), want);
        }
}

/* Runs db_open on url with the log captured; checks neither last_error nor the
 * log shows the secret or the URL. */
static void
open_must_fail_quietly(const char *url, const char *secret, int attempts)
{
        char *logbuf = NULL;
        size_t logsz = 0;
        FILE *mem = open_memstream(&logbuf, &logsz);
        assert_non_null(mem);
        log_set_stream(mem);
        log_set_level(LOG_DEBUG);
        struct db db;
        assert_int_equal(db_open(&db, url, NULL, 0, attempts), -1);
        log_set_level(LOG_ERROR);
        log_set_stream(NULL);
        fclose(mem);
        assert_null(db.conn);
        assert_null(db.url);
        assert_true(db.last_error[0] != '\0');
        assert_null(strstr(db.last_error, secret));
        assert_null(strstr(db.last_error, url));
        assert_null(strstr(logbuf, secret));
        assert_null(strstr(logbuf, url));
        db_close(&db); /* still safe */
        free(logbuf);
}

static void
test_open_refused_hides_password(void **state)
{
        (void)state;
        /* Nothing listens on port 1: refused at once, then one 100 ms backoff. */
        open_must_fail_quietly("postgresql://qpayd:Hunter2secret@127.0.0.1:1/qpayd"
                               "?connect_timeout=2",
                               "Hunter2secret", 2);
        open_must_fail_quietly("host=127.0.0.1 port=1 user=qpayd password=Hunter2secret "
                               "connect_timeout=2",
                               "Hunter2secret", 1);
}

static void
test_open_bad_url_hides_password(void **state)
{
        (void)state;
        /* libpq's own messages for these quote the URL or the bad token. */
        open_must_fail_quietly("postgresql://qpayd:Hunter2secret@[::1/qpayd", "Hunter2secret", 3);
        open_must_fail_quietly("postgresql://qpayd:Hunter2%zzsecret@localhost/qpayd",
                               "Hunter2%zzsecret", 3);
        open_must_fail_quietly("host=localhost password='Hunter2secret", "Hunter2secret", 3);
        struct db db;
        assert_int_equal(db_open(&db, NULL, NULL, 0, 1), -1);
        assert_string_equal(db.last_error, "invalid database URL");
}

static void
test_closed_db_is_safe(void **state)
{
        (void)state;
        struct db db;
        memset(&db, 0, sizeof(db));
        enum db_err err = DB_OK;
        assert_null(db_exec_prepared(&db, "x", 0, NULL, &err));
        assert_int_equal(err, DB_ERR_CONNECTION);
        err = DB_OK;
        assert_null(db_exec_params(&db, "SELECT 1", 0, NULL, &err));
        assert_int_equal(err, DB_ERR_CONNECTION);
        assert_int_equal(db_exec(&db, "SELECT 1", NULL), -1);
        assert_int_equal(db_begin(&db, &err), -1);
        assert_int_equal(db_commit(&db, &err), -1);
        db_rollback(&db);
        assert_int_equal(db_ensure(&db), -1);
        db_close(&db);
        db_close(&db);
}

/* A server that completes the TCP handshake and never answers (the kernel
 * accepts into the backlog; nobody reads): opening gives up after
 * connect_timeout, says it timed out, and a reconnect right after waits for
 * the backoff instead of waiting again. */
static void
test_connect_to_silent_server_is_bounded(void **state)
{
        (void)state;
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(lfd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 8), 0);
        socklen_t len = sizeof(sa);
        assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
        char url[128];
        snprintf(url, sizeof(url), "postgresql://qpayd@127.0.0.1:%d/qpayd", ntohs(sa.sin_port));
        struct db_limits keep = db_get_limits(), l = keep;
        l.connect_timeout_seconds = 2;
        db_set_limits(&l);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct db db;
        assert_int_equal(db_init(&db, url, NULL, NULL, 0), 0);
        assert_int_equal(db_ensure(&db), -1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(took >= 1.5 && took < 3.5);
        assert_true(db.last_timed_out);
        assert_null(db.conn);
        assert_false(db_retry_due(&db));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(db_ensure(&db), -1); /* within the backoff: at once */
        clock_gettime(CLOCK_MONOTONIC, &t1);
        took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        assert_true(took < 0.1);
        db_close(&db);
        db_set_limits(&keep);
        close(lfd);
}

int
main(void)
{
        log_set_level(LOG_ERROR);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mapped_sqlstates),
            cmocka_unit_test(test_connection_class),
            cmocka_unit_test(test_unmapped_sqlstates),
            cmocka_unit_test(test_null_and_garbage),
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_retryable),
            cmocka_unit_test(test_open_refused_hides_password),
            cmocka_unit_test(test_open_bad_url_hides_password),
            cmocka_unit_test(test_closed_db_is_safe),
            cmocka_unit_test(test_connect_to_silent_server_is_bounded),
        };
        return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
