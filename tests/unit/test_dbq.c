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

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reads_share_a_sync_and_survive_a_failed_neighbour),
            cmocka_unit_test(test_write_after_reads_commits_alone),
            cmocka_unit_test(test_queued_reads_fail_once_when_freed),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
