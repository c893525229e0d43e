/* The executor's journal: records survive a re-read, a torn or damaged
 * record counts as started, a deferred outcome frees the id again, and
 * processes appending at once lose nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"

static char dir[64], path[128];
static char err[512];

static int
setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/qpayd-journal.XXXXXX");
        if (mkdtemp(dir) == NULL)
                return -1;
        snprintf(path, sizeof(path), "%s/journal", dir);
        return 0;
}

static int
teardown(void **state)
{
        (void)state;
        unlink(path);
        rmdir(dir);
        return 0;
}

static struct journal_start
start_of(const char *id)
{
        struct journal_start s = {id, "main", "inv_1", "bitcoin", "bcrt1qdest", 5000, 1};
        return s;
}

static void
append_start(struct journal *j, const char *id)
{
        struct journal_start s = start_of(id);
        assert_int_equal(journal_lock(j, err, sizeof(err)), 0);
        assert_int_equal(journal_append_start(j, &s, err, sizeof(err)), 0);
        assert_int_equal(journal_unlock(j, 1, err, sizeof(err)), 0);
}

static void
append_outcome(struct journal *j, const char *id, enum journal_state st, const char *tx)
{
        struct journal_outcome o = {id, 1, st, tx, NULL, NULL, 141};
        assert_int_equal(journal_lock(j, err, sizeof(err)), 0);
        assert_int_equal(journal_append_outcome(j, &o, err, sizeof(err)), 0);
        assert_int_equal(journal_unlock(j, 0, err, sizeof(err)), 0);
}

static void
append_raw(const char *text, size_t len)
{
        int fd = open(path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        close(fd);
}

static void
test_records_survive_a_reread(void **state)
{
        (void)state;
        struct journal *j = journal_open(path, err, sizeof(err));
        assert_non_null(j);
        assert_false(journal_started(j, "rf_a"));
        append_start(j, "rf_a");
        assert_true(journal_started(j, "rf_a"));
        append_outcome(j, "rf_a", JOURNAL_SUCCEEDED, "ab");
        journal_free(j);
        j = journal_open(path, err, sizeof(err));
        assert_non_null(j);
        const struct journal_entry *e = journal_find(j, "rf_a");
        assert_non_null(e);
        assert_int_equal(e->state, JOURNAL_SUCCEEDED);
        assert_string_equal(e->store, "main");
        assert_string_equal(e->invoice, "inv_1");
        assert_string_equal(e->destination, "bcrt1qdest");
        assert_int_equal(e->amount_sats, 5000);
        assert_string_equal(e->tx_id, "ab");
        assert_int_equal(e->fee_sats, 141);
        assert_true(journal_started(j, "rf_a"));
        assert_int_equal(journal_torn_records(j), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        journal_free(j);
}

static void
test_deferred_frees_the_id_and_ack_is_kept(void **state)
{
        (void)state;
        struct journal *j = journal_open(path, err, sizeof(err));
        assert_non_null(j);
        append_start(j, "rf_b");
        append_outcome(j, "rf_b", JOURNAL_DEFERRED, NULL);
        assert_false(journal_started(j, "rf_b"));
        append_start(j, "rf_b");
        assert_true(journal_started(j, "rf_b"));
        assert_int_equal(journal_lock(j, err, sizeof(err)), 0);
        assert_int_equal(journal_append_ack(j, "rf_b", err, sizeof(err)), 0);
        /* An id that could split a record is refused. */
        assert_int_equal(journal_append_ack(j, "rf\tx", err, sizeof(err)), -1);
        assert_int_equal(journal_unlock(j, 1, err, sizeof(err)), 0);
        journal_free(j);
        j = journal_open(path, err, sizeof(err));
        assert_true(journal_find(j, "rf_b")->acked);
        assert_true(journal_started(j, "rf_b"));
        journal_free(j);
}

/* kill -9 in the middle of a write: the cut record names its refund, which
 * counts as started; the next record still lands whole. */
static void
test_torn_last_record_counts_as_started(void **state)
{
        (void)state;
        struct journal *j = journal_open(path, err, sizeof(err));
        append_start(j, "rf_c");
        journal_free(j);
        append_raw("S\trf_torn\t{\"store\":\"ma", 23);
        j = journal_open(path, err, sizeof(err));
        assert_non_null(j);
        assert_int_equal(journal_torn_records(j), 1);
        assert_true(journal_started(j, "rf_torn"));
        assert_int_equal(journal_find(j, "rf_torn")->state, JOURNAL_TORN);
        append_start(j, "rf_d");
        journal_free(j);
        j = journal_open(path, err, sizeof(err));
        assert_int_equal(journal_torn_records(j), 1);
        assert_true(journal_started(j, "rf_c"));
        assert_true(journal_started(j, "rf_d"));
        assert_int_equal(journal_find(j, "rf_d")->state, JOURNAL_STARTED);
        journal_free(j);
}

static void
test_bad_checksum_counts_as_started(void **state)
{
        (void)state;
        struct journal *j = journal_open(path, err, sizeof(err));
        append_start(j, "rf_e");
        append_outcome(j, "rf_e", JOURNAL_DEFERRED, NULL);
        assert_false(journal_started(j, "rf_e"));
        journal_free(j);
        /* A start of rf_f whose amount was changed after it was written. */
        struct journal *k = journal_open(path, err, sizeof(err));
        append_start(k, "rf_f");
        journal_free(k);
        FILE *f = fopen(path, "r+");
        assert_non_null(f);
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        char *amount = strstr(strstr(buf, "rf_f"), "\"5000\"");
        assert_non_null(amount);
        amount[1] = '9';
        rewind(f);
        fwrite(buf, 1, n, f);
        fclose(f);
        j = journal_open(path, err, sizeof(err));
        assert_int_equal(journal_torn_records(j), 1);
        assert_int_equal(journal_find(j, "rf_f")->state, JOURNAL_TORN);
        assert_true(journal_started(j, "rf_f"));
        assert_false(journal_started(j, "rf_e"));
        journal_free(j);
}

/* Four processes, fifty records each, all at once: 200 whole records. */
static void
test_concurrent_appends(void **state)
{
        (void)state;
        struct journal *j0 = journal_open(path, err, sizeof(err));
        assert_non_null(j0);
        pid_t kids[4];
        for (int k = 0; k < 4; k++) {
                kids[k] = fork();
                assert_true(kids[k] >= 0);
                if (kids[k] == 0) {
                        struct journal *j = journal_open(path, err, sizeof(err));
                        for (int i = 0; j != NULL && i < 50; i++) {
                                char id[32];
                                snprintf(id, sizeof(id), "rf_%d_%d", k, i);
                                struct journal_start s = start_of(id);
                                if (journal_lock(j, err, sizeof(err)) != 0 ||
                                    journal_append_start(j, &s, err, sizeof(err)) != 0 ||
                                    journal_unlock(j, i % 10 == 0, err, sizeof(err)) != 0)
                                        _exit(1);
                        }
                        _exit(j == NULL);
                }
        }
        for (int k = 0; k < 4; k++) {
                int status;
                assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        /* The first process catches up on what the others appended. */
        assert_int_equal(journal_refresh(j0, err, sizeof(err)), 0);
        assert_int_equal(journal_count(j0), 200);
        assert_int_equal(journal_torn_records(j0), 0);
        assert_true(journal_started(j0, "rf_3_49"));
        journal_free(j0);
}

static void
test_unusable_paths_are_named(void **state)
{
        (void)state;
        assert_null(journal_open("/dev/full", err, sizeof(err)));
        assert_non_null(strstr(err, "/dev/full"));
        assert_null(journal_open("/nonexistent-dir/journal", err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent-dir/journal"));
        assert_null(journal_open_readonly(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
}

int
main(void)
{
        if (sodium_init() < 0)
                return 1;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_records_survive_a_reread, setup, teardown),
            cmocka_unit_test_setup_teardown(test_deferred_frees_the_id_and_ack_is_kept, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_torn_last_record_counts_as_started, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_bad_checksum_counts_as_started, setup, teardown),
            cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unusable_paths_are_named, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
