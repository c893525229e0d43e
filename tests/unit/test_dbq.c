/* The pipelined query queue against a real PostgreSQL (a throwaway cluster
 * from tests/pg.sh): reads of one loop turn share a sync point, a read
 * skipped by another's failure is sent again and answered once, and a write
 * after reads commits in a group of its own. */
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

#include "dbq.h"

static char pgdir[64];
static char url[128];

static const struct db_stmt stmts[] = {
    {"twice", "SELECT $1::int * 2", 1},
    /* Fails (division by zero) when $1 is 0. */
    {"inverse", "SELECT 100 / $1::int", 1},
    {"put", "INSERT INTO t (v) VALUES ($1::int)", 1},
    {"count", "SELECT count(*) FROM t WHERE v = $1::int", 1},
    {"sleep", "SELECT pg_sleep($1::float8)::text", 1},
    /* What this session has prepared, and its lock_timeout. */
    {"prepared",
     "SELECT count(*) || ' ' || current_setting('lock_timeout')"
     " FROM pg_prepared_statements WHERE $1::int = 1",
     1},
};

struct got {
        int calls;
        enum db_err err;
        char value[32];
};

static void
got_cb(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)constraint;
        struct got *g = arg;
        g->calls++;
        g->err = err;
        snprintf(g->value, sizeof(g->value), "%s",
                 r != NULL && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
}

static int
setup(void **state)
{
        (void)state;
        snprintf(pgdir, sizeof(pgdir), "/tmp/qpayd-test-dbq.%d", (int)getpid());
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "sh tests/pg.sh start %s", pgdir);
        FILE *f = popen(cmd, "r");
        int port = 0;
        if (f == NULL || fscanf(f, "%d", &port) != 1 || pclose(f) != 0 || port <= 0)
                return -1;
        snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/postgres", port);
        snprintf(cmd, sizeof(cmd),
                 "psql -X -q -h 127.0.0.1 -p %d -U postgres -c 'CREATE TABLE t (v int)'", port);
        return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
        (void)state;
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "sh tests/pg.sh stop %s", pgdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void
run_until(struct event_base *base, const struct got *g, size_t n)
{
        for (int spins = 0; spins < 5000; spins++) {
                size_t done = 0;
                for (size_t i = 0; i < n; i++)
                        done += g[i].calls > 0;
                if (done == n)
                        return;
                event_base_loop(base, EVLOOP_ONCE);
        }
        fail_msg("not every statement was answered");
}

static void
test_reads_share_a_sync_and_survive_a_failed_neighbour(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct dbq *q = dbq_new(base, url, NULL, stmts, sizeof(stmts) / sizeof(stmts[0]));
        assert_non_null(q);
        /* One loop turn: 50 / 25 / fails / 20 / 10, all in one sync group. */
        const char *args[] = {"2", "4", "0", "5", "10"};
        const char *want[] = {"50", "25", "", "20", "10"};
        struct got g[5] = {0};
        for (int i = 0; i < 5; i++) {
                const char *p[] = {args[i]};
                assert_int_equal(dbq_submit_read(q, "inverse", 1, p, got_cb, &g[i]), 0);
        }
        assert_int_equal(dbq_pending(q), 5);
        assert_int_equal(dbq_gathering(q), 1); /* their sync point is still to come */
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        assert_int_equal(dbq_gathering(q), 0); /* sent at the end of the turn */
        run_until(base, g, 5);
        assert_int_equal(dbq_pending(q), 0); /* the resent ones included */
        for (int i = 0; i < 5; i++) {
                assert_int_equal(g[i].calls, 1); /* exactly once, resent or not */
                assert_string_equal(g[i].value, want[i]);
                assert_int_equal(g[i].err, i == 2 ? DB_ERR_OTHER : DB_OK);
        }
        /* The queue still works afterwards. */
        struct got again = {0};
        const char *p[] = {"21"};
        assert_int_equal(dbq_submit_read(q, "twice", 1, p, got_cb, &again), 0);
        run_until(base, &again, 1);
        assert_string_equal(again.value, "42");
        dbq_free(q);
        event_base_free(base);
}

static void
test_write_after_reads_commits_alone(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct dbq *q = dbq_new(base, url, NULL, stmts, sizeof(stmts) / sizeof(stmts[0]));
        assert_non_null(q);
        /* A read that fails, then a write in the same loop turn: the write
         * has its own sync point, so the failure cannot abort or undo it. */
        struct got g[3] = {0};
        const char *zero[] = {"0"};
        const char *seven[] = {"7"};
        assert_int_equal(dbq_submit_read(q, "inverse", 1, zero, got_cb, &g[0]), 0);
        assert_int_equal(dbq_submit(q, "put", 1, seven, got_cb, &g[1]), 0);
        assert_int_equal(dbq_submit_read(q, "count", 1, seven, got_cb, &g[2]), 0);
        run_until(base, g, 3);
        assert_int_equal(g[0].err, DB_ERR_OTHER);
        assert_int_equal(g[1].err, DB_OK);
        assert_int_equal(g[2].err, DB_OK);
        assert_string_equal(g[2].value, "1");
        for (int i = 0; i < 3; i++)
                assert_int_equal(g[i].calls, 1);
        dbq_free(q);
        event_base_free(base);
}

static void
test_queued_reads_fail_once_when_freed(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct dbq *q = dbq_new(base, url, NULL, stmts, sizeof(stmts) / sizeof(stmts[0]));
        assert_non_null(q);
        struct got g = {0};
        const char *p[] = {"1"};
        assert_int_equal(dbq_submit_read(q, "twice", 1, p, got_cb, &g), 0);
        dbq_free(q); /* before the loop ran: answered with a connection error */
        assert_int_equal(g.calls, 1);
        assert_int_equal(g.err, DB_ERR_CONNECTION);
        event_base_free(base);
}

static double
elapsed_since(const struct timespec *t0)
{
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A blocking call that outlasts query_timeout: given up after it, the
 * connection dropped, and no reconnect until the backoff is over. */
static void
test_blocking_call_deadline(void **state)
{
        (void)state;
        struct db_limits keep = db_get_limits(), l = keep;
        l.query_timeout_seconds = 1;
        l.statement_timeout_seconds = 0;
        db_set_limits(&l);
        struct db db;
        assert_int_equal(db_open(&db, url, NULL, 0, 1), 0);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        enum db_err err = DB_OK;
        assert_null(db_exec_params(&db, "SELECT pg_sleep(3)", 0, NULL, &err));
        double took = elapsed_since(&t0);
        assert_true(took >= 0.9 && took < 1.8);
        assert_int_equal(err, DB_ERR_CONNECTION);
        assert_true(db.last_timed_out);
        assert_non_null(strstr(db.last_error, "timed out after 1 s"));
        assert_null(db.conn);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(db_ensure(&db), -1); /* the backoff: at once */
        assert_true(elapsed_since(&t0) < 0.1);
        usleep((DB_RETRY_MS + 100) * 1000);
        assert_int_equal(db_ensure(&db), 0);
        assert_int_equal(db_exec(&db, "SELECT 1", &err), 0);
        db_close(&db);
        db_set_limits(&keep);
}

/* statement_timeout reaches the session: the server cancels (57014) before
 * the client gives up, and the connection stays. */
static void
test_statement_timeout_is_set(void **state)
{
        (void)state;
        struct db_limits keep = db_get_limits(), l = keep;
        l.query_timeout_seconds = 5;
        l.statement_timeout_seconds = 1;
        db_set_limits(&l);
        struct db db;
        assert_int_equal(db_open(&db, url, NULL, 0, 1), 0);
        enum db_err err = DB_OK;
        PGresult *r = db_exec_params(&db, "SHOW statement_timeout", 0, NULL, &err);
        assert_non_null(r);
        assert_string_equal(PQgetvalue(r, 0, 0), "1s");
        PQclear(r);
        assert_null(db_exec_params(&db, "SELECT pg_sleep(3)", 0, NULL, &err));
        assert_int_equal(err, DB_ERR_QUERY_CANCELED);
        assert_non_null(db.conn);
        db_close(&db);
        db_set_limits(&keep);
}

static const char *
show(struct db *db, const char *sql, char *out, size_t n)
{
        enum db_err err;
        PGresult *r = db_exec_params(db, sql, 0, NULL, &err);
        assert_non_null(r);
        snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        return out;
}

/* Under transaction pooling (docs/pgbouncer.md) a connection leaves no state
 * a pooler would hand to another client: nothing prepared, no session SET,
 * no startup options; the timeouts hold inside each transaction only, and
 * the statements still answer by name (sent unnamed). A direct connection
 * is a plain session whatever the mode. The pipelined queue likewise. */
static void
test_transaction_pooling_leaves_no_session_state(void **state)
{
        (void)state;
        struct db_limits keep = db_get_limits(), l = keep;
        l.statement_timeout_seconds = 3;
        l.transaction_pooling = true;
        db_set_limits(&l);
        struct db db;
        char v[64];
        assert_int_equal(db_open_session(&db, url, "SET lock_timeout = '7s'", stmts,
                                         sizeof(stmts) / sizeof(stmts[0]), 1),
                         0);
        assert_string_equal(show(&db, "SHOW statement_timeout", v, sizeof(v)), "0");
        assert_string_equal(show(&db, "SHOW lock_timeout", v, sizeof(v)), "0");
        assert_string_equal(show(&db, "SHOW TimeZone", v, sizeof(v)), "UTC");
        assert_string_equal(show(&db, "SELECT count(*) FROM pg_prepared_statements", v, sizeof(v)),
                            "0");
        enum db_err err;
        const char *p[] = {"21"};
        PGresult *r = db_exec_prepared(&db, "twice", 1, p, &err);
        assert_non_null(r);
        assert_string_equal(PQgetvalue(r, 0, 0), "42");
        PQclear(r);
        assert_null(db_exec_prepared(&db, "no_such_statement", 1, p, &err));
        assert_int_equal(db_begin(&db, &err), 0);
        assert_string_equal(show(&db, "SHOW statement_timeout", v, sizeof(v)), "3s");
        assert_string_equal(show(&db, "SHOW lock_timeout", v, sizeof(v)), "7s");
        assert_int_equal(db_commit(&db, &err), 0);
        assert_string_equal(show(&db, "SHOW lock_timeout", v, sizeof(v)), "0");
        db_close(&db);

        assert_int_equal(db_open_direct(&db, url, 1), 0);
        assert_string_equal(show(&db, "SHOW statement_timeout", v, sizeof(v)), "3s");
        db_close(&db);

        struct event_base *base = event_base_new();
        struct dbq *q =
            dbq_new(base, url, "SET lock_timeout = '7s'", stmts, sizeof(stmts) / sizeof(stmts[0]));
        assert_non_null(q);
        struct got g[3] = {{0}};
        const char *four[] = {"4"}, *one[] = {"1"};
        assert_int_equal(dbq_submit_read(q, "twice", 1, four, got_cb, &g[0]), 0);
        assert_int_equal(dbq_submit(q, "twice", 1, four, got_cb, &g[1]), 0);
        assert_int_equal(dbq_submit_read(q, "prepared", 1, one, got_cb, &g[2]), 0);
        run_until(base, g, 3);
        assert_string_equal(g[0].value, "8");
        assert_string_equal(g[1].value, "8");
        assert_string_equal(g[2].value, "0 0");
        dbq_free(q);
        event_base_free(base);
        db_set_limits(&keep);
}

/* A pipelined statement that outlasts query_timeout fails the queue and
 * drops the connection; submits fail at once until the connection, made
 * again from the loop without blocking it, is ready. */
static void
test_pipeline_deadline_and_reconnect(void **state)
{
        (void)state;
        struct db_limits keep = db_get_limits(), l = keep;
        l.query_timeout_seconds = 1;
        l.statement_timeout_seconds = 0;
        db_set_limits(&l);
        struct event_base *base = event_base_new();
        struct dbq *q = dbq_new(base, url, NULL, stmts, sizeof(stmts) / sizeof(stmts[0]));
        assert_non_null(q);
        struct got slow = {0};
        const char *three[] = {"3"};
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(dbq_submit_read(q, "sleep", 1, three, got_cb, &slow), 0);
        run_until(base, &slow, 1);
        double took = elapsed_since(&t0);
        assert_true(took >= 0.9 && took < 1.8);
        assert_int_equal(slow.err, DB_ERR_CONNECTION);
        const char *p[] = {"21"};
        struct got none = {0};
        assert_int_equal(dbq_submit_read(q, "twice", 1, p, got_cb, &none), -1);
        /* The loop reconnects after the backoff; then statements go again. */
        struct got again = {0};
        for (int i = 0; i < 400 && dbq_submit_read(q, "twice", 1, p, got_cb, &again) != 0; i++) {
                struct timeval tick = {0, 10000};
                event_base_loopexit(base, &tick);
                event_base_dispatch(base);
        }
        run_until(base, &again, 1);
        assert_string_equal(again.value, "42");
        assert_true(elapsed_since(&t0) < 4.0);
        dbq_free(q);
        event_base_free(base);
        db_set_limits(&keep);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reads_share_a_sync_and_survive_a_failed_neighbour),
            cmocka_unit_test(test_write_after_reads_commits_alone),
            cmocka_unit_test(test_queued_reads_fail_once_when_freed),
            cmocka_unit_test(test_blocking_call_deadline),
            cmocka_unit_test(test_statement_timeout_is_set),
            cmocka_unit_test(test_pipeline_deadline_and_reconnect),
            cmocka_unit_test(test_transaction_pooling_leaves_no_session_state),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
