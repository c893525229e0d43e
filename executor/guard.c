#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "payout.h"
#include "queries.h"
#include "sendseen.h"

/* Less free space than this where the journal lives: check-config warns. */
#define GUARD_MIN_FREE (1024 * 1024)

static struct journal *guard_j;

struct journal *
guard_journal(const struct config *cfg, char *err, size_t errlen)
{
        const char *path = cfg->executor_journal;
        if (guard_j != NULL && strcmp(journal_path(guard_j), path) == 0)
                return guard_j;
        guard_close();
        guard_j = journal_open(path, err, errlen);
        return guard_j;
}

void
guard_close(void)
{
        journal_free(guard_j);
        guard_j = NULL;
        sendseen_free_all();
}

/* Second line: the backend's own record of an earlier payment of the same
 * refund (its already_paid), asked before the batch is paid. */
static void
guard_ask_backend(const struct payout_backend *be, const struct config_backend *b, int timeout,
                  struct claimed *c, int n, struct payout_result *pre)
{
        struct payout_prior *prior = calloc((size_t)n, sizeof(*prior));
        if (prior == NULL) {
                for (int i = 0; i < n; i++)
                        outcome_set(&pre[i], OUTCOME_DEFERRED,
                                    "out of memory before asking %s: not sent, back to pending",
                                    be->name);
                return;
        }
        for (int i = 0; i < n; i++)
                prior[i] = (struct payout_prior){c[i].id, &c[i].dest, &pre[i]};
        be->already_paid(b, timeout, prior, n);
        free(prior);
}

/* A journal entry of the same invoice and destination that the database
 * does not know (a restore from an older backup) and no operator explained:
 * its id in *other. 1 found, 0 none, -1 database error. */
static int
guard_unexplained(struct record_session *rs, struct journal *j, const char *store,
                  const struct claimed *c, const char **other)
{
        for (size_t i = 0; i < journal_count(j); i++) {
                const struct journal_entry *e = journal_at(j, i);
                if (e->acked || e->state == JOURNAL_DEFERRED || e->destination == NULL ||
                    strcmp(e->invoice, c->invoice) != 0 || strcmp(e->id, c->id) == 0 ||
                    strcmp(e->store, store) != 0 || strcmp(e->destination, c->destination) != 0)
                        continue;
                const char *pq[] = {store, e->id};
                PGresult *r;
                if (record_exec(rs, Q_REFUND_STATUS, 2, pq, &r) != 0)
                        return -1;
                int known = PQntuples(r) > 0;
                PQclear(r);
                if (!known) {
                        *other = e->id;
                        return 1;
                }
        }
        return 0;
}

/* Under the journal's lock: the first line, then the start records. */
static void
guard_journal_batch(struct record_session *rs, struct journal *j, const char *store,
                    const char *backend, struct claimed *c, int n, struct payout_result *pre)
{
        char err[512];
        for (int i = 0; i < n; i++) {
                const struct journal_entry *e = journal_find(j, c[i].id);
                const char *other = NULL;
                int u = 0;
                if (journal_started(j, c[i].id)) {
                        outcome_result_init(&pre[i]);
                        outcome_set(&pre[i], OUTCOME_UNKNOWN,
                                    "journal %s already holds attempt %d of this refund (%s): "
                                    "not paid again; reconcile settles it",
                                    journal_path(j), e->attempt, journal_state_name(e->state));
                        continue;
                }
                if (pre[i].outcome == OUTCOME_DEFERRED)
                        continue;
                if (pre[i].outcome == OUTCOME_NOT_FOUND &&
                    (u = guard_unexplained(rs, j, store, &c[i], &other)) != 0) {
                        if (u > 0)
                                outcome_set(&pre[i], OUTCOME_DEFERRED,
                                            "journal %s holds refund %s of the same invoice to the "
                                            "same destination, unknown to the database (restored "
                                            "from a backup?): not paid until `qpayd-executor "
                                            "audit --ack %s`",
                                            journal_path(j), other, other);
                        else
                                outcome_set(&pre[i], OUTCOME_DEFERRED,
                                            "database error while checking the journal: not sent");
                        continue;
                }
                struct journal_start st = {c[i].id,
                                           store,
                                           c[i].invoice,
                                           backend,
                                           c[i].destination,
                                           c[i].amount_sats,
                                           (int)strtol(c[i].attempt, NULL, 10)};
                if (journal_append_start(j, &st, err, sizeof(err)) != 0) {
                        outcome_set(&pre[i], OUTCOME_DEFERRED, "%s: not sent, back to pending",
                                    err);
                        continue;
                }
                c[i].journaled = 1;
        }
}

void
guard_before(struct record_session *rs, const struct config_store *s, const char *backend,
             const struct config_backend *b, struct claimed *c, int n, struct payout_result *pre)
{
        char err[512];
        int timeout = rs->cfg->request_timeout_seconds;
        for (int i = 0; i < n; i++) {
                outcome_result_init(&pre[i]);
                pre[i].outcome = OUTCOME_NOT_FOUND;
                c[i].journaled = 0;
        }
        struct journal *j = guard_journal(rs->cfg, err, sizeof(err));
        if (j == NULL || journal_lock(j, err, sizeof(err)) != 0) {
                log_error("journal unusable: nothing is paid", "error", err);
                for (int i = 0; i < n; i++)
                        outcome_set(&pre[i], OUTCOME_DEFERRED, "%s: not sent, back to pending",
                                    err);
                return;
        }
        /* Read the journal first: no backend is asked about a refund it holds. */
        int ask = 0;
        for (int i = 0; i < n; i++)
                ask += !journal_started(j, c[i].id);
        journal_unlock(j, 0, err, sizeof(err));
        const struct payout_backend *be = payout_backend_find(b->backend);
        if (ask > 0 && be != NULL && be->already_paid != NULL)
                guard_ask_backend(be, b, timeout, c, n, pre);
        if (journal_lock(j, err, sizeof(err)) != 0) {
                for (int i = 0; i < n; i++)
                        outcome_set(&pre[i], OUTCOME_DEFERRED, "%s: not sent, back to pending",
                                    err);
                return;
        }
        guard_journal_batch(rs, j, s->id, backend, c, n, pre);
        /* One fsync for the whole batch, before any call; outside the lock,
         * since other executors decide from what is appended, not from what
         * is on disk, and no call is made before it returns. */
        char uerr[512];
        journal_unlock(j, 0, uerr, sizeof(uerr));
        if (journal_sync(j, err, sizeof(err)) != 0) {
                log_error("journal not synced: nothing is paid", "error", err);
                for (int i = 0; i < n; i++)
                        if (c[i].journaled && pre[i].outcome == OUTCOME_NOT_FOUND)
                                outcome_set(&pre[i], OUTCOME_DEFERRED,
                                            "%s: not sent, back to pending", err);
        }
}

static enum journal_state
guard_state(enum outcome o)
{
        return o == OUTCOME_SUCCEEDED  ? JOURNAL_SUCCEEDED
               : o == OUTCOME_FAILED   ? JOURNAL_FAILED
               : o == OUTCOME_DEFERRED ? JOURNAL_DEFERRED
                                       : JOURNAL_UNKNOWN;
}

static void
guard_append_outcome(struct journal *j, const char *id, int attempt,
                     const struct payout_result *res)
{
        char err[512];
        struct journal_outcome oc = {id,           attempt,    guard_state(res->outcome),
                                     res->tx_id,   res->proof, res->payment_hash,
                                     res->fee_sats};
        /* Not synced here: the next batch's fsync carries it. An outcome lost
         * to a crash leaves "started", which is never paid again. */
        if (journal_lock(j, err, sizeof(err)) != 0) {
                log_error("outcome not journaled: the journal keeps it as started", "refund", id,
                          "error", err);
                return;
        }
        int rc = journal_append_outcome(j, &oc, err, sizeof(err));
        char uerr[512];
        journal_unlock(j, 0, uerr, sizeof(uerr));
        if (rc != 0)
                log_error("outcome not journaled: the journal keeps it as started", "refund", id,
                          "error", err);
}

void
guard_after(struct record_session *rs, const struct claimed *c, const struct payout_result *res)
{
        (void)rs;
        if (!c->journaled || guard_j == NULL)
                return;
        guard_append_outcome(guard_j, c->id, (int)strtol(c->attempt, NULL, 10), res);
}

int
guard_journal_outcome(const struct config *cfg, const char *id, struct payout_result *res,
                      char hash[65])
{
        char err[512];
        struct journal *j = guard_journal(cfg, err, sizeof(err));
        if (j == NULL || journal_refresh(j, err, sizeof(err)) != 0) {
                log_warn("journal not read: reconcile asks the backends only", "error", err);
                return 0;
        }
        const struct journal_entry *e = journal_find(j, id);
        if (e == NULL)
                return 0;
        if (e->payment_hash[0])
                snprintf(hash, 65, "%s", e->payment_hash);
        if (e->state != JOURNAL_SUCCEEDED && e->state != JOURNAL_FAILED)
                return 0;
        outcome_result_init(res);
        snprintf(res->tx_id, sizeof(res->tx_id), "%s", e->tx_id);
        snprintf(res->proof, sizeof(res->proof), "%s", e->proof);
        snprintf(res->payment_hash, sizeof(res->payment_hash), "%s", e->payment_hash);
        res->fee_sats = e->fee_sats;
        outcome_set(res, e->state == JOURNAL_SUCCEEDED ? OUTCOME_SUCCEEDED : OUTCOME_FAILED,
                    "journal %s: attempt %d %s", journal_path(j), e->attempt,
                    journal_state_name(e->state));
        return 1;
}

void
guard_settled(const struct config *cfg, const char *id, const char *attempt,
              const struct payout_result *res)
{
        char err[512];
        struct journal *j = guard_journal(cfg, err, sizeof(err));
        if (j == NULL)
                return;
        const struct journal_entry *e = journal_find(j, id);
        if (e == NULL || e->state == JOURNAL_SUCCEEDED || e->state == JOURNAL_FAILED)
                return;
        guard_append_outcome(j, id, attempt ? (int)strtol(attempt, NULL, 10) : e->attempt, res);
}

int
guard_check_journal(const struct config *cfg, FILE *out)
{
        const char *path = cfg->executor_journal;
        struct stat st;
        char *copy = strdup(path);
        const char *dir = copy ? dirname(copy) : ".";
        const char *why = NULL;
        char buf[160];
        struct statvfs fs;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                why = "is not a regular file";
        else if (stat(path, &st) == 0 && access(path, W_OK) != 0)
                why = strerror(errno);
        else if (stat(path, &st) != 0 && access(dir, W_OK | X_OK) != 0) {
                snprintf(buf, sizeof(buf), "cannot create it in %s: %s", dir, strerror(errno));
                why = buf;
        } else if (statvfs(dir, &fs) == 0 &&
                   (unsigned long long)fs.f_bavail * fs.f_frsize < GUARD_MIN_FREE) {
                snprintf(buf, sizeof(buf), "only %llu bytes free on its file system",
                         (unsigned long long)fs.f_bavail * fs.f_frsize);
                why = buf;
        }
        if (why != NULL)
                fprintf(out, "warning: [executor] journal: %s: %s: nothing will be paid\n", path,
                        why);
        free(copy);
        return why != NULL ? -1 : 0;
}
