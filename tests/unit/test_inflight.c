/* The payout thread pool: every job submitted comes back exactly once with
 * its own owner and payout_pay's result, the busy count follows, and a wait
 * with nothing in flight times out. (That payouts overlap, and a stuck one
 * holds one place only, is tests/blackbox/test_executor_parallel.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "inflight.h"

#define JOBS 100

static void
run_pool(int max)
{
        /* No backend named: payout_pay answers at once, without any call. */
        static struct config_backend none;
        static struct dest d;
        static struct inflight_job jobs[JOBS];
        static int seen[JOBS];
        memset(jobs, 0, sizeof(jobs));
        memset(seen, 0, sizeof(seen));
        struct inflight *f = inflight_new(max);
        assert_non_null(f);
        assert_null(inflight_wait(f, 10)); /* nothing in flight: times out */
        int next = 0, back = 0;
        while (back < JOBS) {
                while (next < JOBS && inflight_busy(f) < max) {
                        jobs[next].call = (struct payout_call){"rf", 1000, "x", &d, &none, 1, 0};
                        jobs[next].owner = &seen[next];
                        assert_int_equal(inflight_submit(f, &jobs[next]), 0);
                        next++;
                }
                assert_true(inflight_busy(f) <= max);
                struct inflight_job *job = inflight_wait(f, 5000);
                assert_non_null(job);
                int *owner = job->owner;
                assert_ptr_equal(owner, &seen[job - jobs]);
                (*owner)++;
                assert_int_equal(job->result.outcome, OUTCOME_DEFERRED);
                back++;
        }
        assert_int_equal(inflight_busy(f), 0);
        for (int i = 0; i < JOBS; i++)
                assert_int_equal(seen[i], 1);
        assert_null(inflight_wait(f, 10));
        inflight_free(f);
}

static void
test_one_at_a_time(void **state)
{
        (void)state;
        run_pool(1);
}

static void
test_many(void **state)
{
        (void)state;
        run_pool(8);
}

static void
test_free_unused(void **state)
{
        (void)state;
        inflight_free(inflight_new(32)); /* no thread was ever started */
        inflight_free(NULL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_one_at_a_time),
            cmocka_unit_test(test_many),
            cmocka_unit_test(test_free_unused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
