/* The live configuration (api/live_config.c): a holder keeps the
 * configuration it acquired across any number of swaps, the last holder of a
 * replaced one frees it (the sanitised build reports a leak, a double free or
 * a use after free), and acquires race with swaps safely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_config.h"

/* A configuration whose one store is named s<n>. */
static struct config *
cfg_numbered(int n)
{
        char text[512];
        snprintf(text, sizeof(text),
                 "[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                 "[server]\nlisten = \"127.0.0.1:8080\"\n"
                 "[auth]\napi_token_env = \"QPAYD_API_TOKEN\"\n"
                 "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n"
                 "[[stores]]\nid = \"s%d\"\nnetwork = \"regtest\"\n",
                 n);
        struct config *cfg = NULL;
        struct config_errors errs = {0};
        int rc = config_load_string(text, "t.toml", CONFIG_PROG_API, &cfg, &errs);
        for (size_t i = 0; i < errs.count; i++)
                fprintf(stderr, "  %s\n", errs.items[i]);
        config_errors_free(&errs);
        assert_int_equal(rc, 0);
        return cfg;
}

static int
cfg_number(const struct config *cfg)
{
        assert_int_equal(cfg->nstores, 1);
        return atoi(cfg->stores[0].id + 1);
}

static int
setup(void **state)
{
        (void)state;
        setenv("QPAYD_DATABASE_URL", "postgresql://localhost/qpayd", 1);
        setenv("QPAYD_API_TOKEN", "api-token-for-tests", 1);
        setenv("QPAYD_ADMIN_TOKEN", "admin-token-for-tests", 1);
        return 0;
}

static void
test_holder_keeps_its_configuration(void **state)
{
        (void)state;
        struct config *first = cfg_numbered(0);
        struct live_config *lc = live_config_new(first);
        assert_non_null(lc);
        struct live_config_ref *r0 = live_config_acquire(lc);
        assert_ptr_equal(r0->cfg, first);
        assert_int_equal(live_config_swap(lc, cfg_numbered(1)), 0);
        struct live_config_ref *r1 = live_config_acquire(lc);
        assert_int_equal(cfg_number(r1->cfg), 1);
        /* replaced twice: r1 alone keeps s1 alive, r0 still reads s0 */
        assert_int_equal(live_config_swap(lc, cfg_numbered(2)), 0);
        assert_int_equal(atomic_load(&r1->holders), 1);
        assert_int_equal(cfg_number(r1->cfg), 1);
        assert_int_equal(cfg_number(r0->cfg), 0);
        live_config_release(r1); /* frees s1 */
        live_config_release(r0); /* first is borrowed: not freed */
        struct live_config_ref *r2 = live_config_acquire(lc);
        assert_int_equal(cfg_number(r2->cfg), 2);
        assert_int_equal(atomic_load(&r2->holders), 2); /* r2 and current */
        live_config_release(r2);
        live_config_free(lc); /* frees s2 */
        assert_int_equal(cfg_number(first), 0);
        config_free(first);
}

/* Many more swaps than the old fixed array held (64). */
static void
test_thousands_of_swaps(void **state)
{
        (void)state;
        struct config *first = cfg_numbered(0);
        struct live_config *lc = live_config_new(first);
        for (int i = 1; i <= 2000; i++) {
                assert_int_equal(live_config_swap(lc, cfg_numbered(i)), 0);
                struct live_config_ref *r = live_config_acquire(lc);
                assert_int_equal(cfg_number(r->cfg), i);
                live_config_release(r);
        }
        live_config_free(lc);
        config_free(first);
}

struct reader {
        struct live_config *lc;
        atomic_int *stop;
        atomic_int acquired;
        int went_back; /* saw an older configuration after a newer one */
};

static void *
reader_main(void *arg)
{
        struct reader *rd = arg;
        int last = 0;
        while (!atomic_load(rd->stop)) {
                struct live_config_ref *r = live_config_acquire(rd->lc);
                int n = atoi(r->cfg->stores[0].id + 1);
                if (n < last)
                        rd->went_back = 1;
                last = n;
                /* hold it a little while swaps go on */
                for (volatile int k = 0; k < 100; k++)
                        (void)r->cfg->stores[0].id[0];
                live_config_release(r);
                atomic_fetch_add(&rd->acquired, 1);
        }
        return NULL;
}

static void
test_acquires_race_with_swaps(void **state)
{
        (void)state;
        struct config *first = cfg_numbered(0);
        struct live_config *lc = live_config_new(first);
        atomic_int stop = 0;
        struct reader rd[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
                rd[i] = (struct reader){.lc = lc, .stop = &stop};
                assert_int_equal(pthread_create(&t[i], NULL, reader_main, &rd[i]), 0);
        }
        /* every reader running before the swaps start, and between them */
        for (int i = 1; i <= 500; i++) {
                for (int k = 0; k < 4; k++)
                        while (atomic_load(&rd[k].acquired) < i)
                                sched_yield();
                assert_int_equal(live_config_swap(lc, cfg_numbered(i)), 0);
        }
        atomic_store(&stop, 1);
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(rd[i].went_back, 0);
                assert_true(atomic_load(&rd[i].acquired) >= 500);
        }
        struct live_config_ref *r = live_config_acquire(lc);
        assert_int_equal(cfg_number(r->cfg), 500);
        assert_int_equal(atomic_load(&r->holders), 2);
        live_config_release(r);
        live_config_free(lc);
        config_free(first);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_holder_keeps_its_configuration),
            cmocka_unit_test(test_thousands_of_swaps),
            cmocka_unit_test(test_acquires_race_with_swaps),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
