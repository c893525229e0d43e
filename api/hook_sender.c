#include "hook_sender.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "hook_post.h"
#include "hook_sign.h"
#include "hook_stats.h"
#include "httpc.h"
#include "log.h"
#include "render.h"
#include "statements.h"

#define HOOK_SENDER_THREADS   4
#define HOOK_SENDER_TIMEOUT   10     /* a 2xx within this is delivered */
#define HOOK_SENDER_GIVE_UP   259200 /* 3 days after the event: failed */
#define HOOK_SENDER_MAX_DELAY 21600  /* backoff cap: 6 hours */
#define HOOK_SENDER_SWEEP     5      /* seconds between expiry sweeps and backlog counts */
#define HOOK_SENDER_PRUNE     60     /* seconds between retention deletes */

static struct {
        pthread_t threads[HOOK_SENDER_THREADS];
        int started;
        int wake[2];
        atomic_int stop;
        char *database_url;
        struct live_config *live; /* borrowed */
} hs = {.wake = {-1, -1}};

/* A claimed delivery (columns of hook_claim). */
struct hook_sender_row {
        const char *id, *type, *url, *object_type, *object_id;
        int alias;
        int attempts;
        int delivered; /* set by hook_sender_send */
        int64_t age;
        char *body; /* owned, compacted */
        size_t len;
};

/* 1 when type is one of the comma-separated names of list. */
static int
hook_sender_listed(const char *list, const char *type)
{
        size_t tl = strlen(type);
        for (const char *s = list; *s;) {
                s += strspn(s, " ,");
                size_t len = strcspn(s, ", ");
                if (len == tl && strncmp(s, type, len) == 0)
                        return 1;
                s += len;
        }
        return 0;
}

/* Whether the store takes this delivery: a signed target, and for its own
 * url a type its events filter names ("*" takes every type but the
 * reference aliases, which are sent only when named). */
static int
hook_sender_wanted(const struct config_store *st, const struct hook_sender_row *row)
{
        if (st == NULL || !st->webhooks.present || st->webhooks.secret == NULL)
                return 0;
        if (row->url != NULL)
                return !row->alias; /* an object's notification_url: every event, once */
        if (st->webhooks.url == NULL)
                return 0;
        const char *ev = st->webhooks.events ? st->webhooks.events : "*";
        if (strcmp(ev, "*") == 0)
                return !row->alias;
        return hook_sender_listed(ev, row->type);
}

/* When the store takes nothing for this row's target: no webhook table or
 * secret (nothing at all), or no url (nothing for the store's url). Then
 * every such pending row of the store is skipped at once: a store without
 * webhooks costs one statement per round, not one per event. 0: no;
 * 1: rows for the store's url; 2: every row. */
static int
hook_sender_store_off(const struct config_store *st, const struct hook_sender_row *row)
{
        if (st == NULL || !st->webhooks.present || st->webhooks.secret == NULL)
                return 2;
        return row->url == NULL && st->webhooks.url == NULL ? 1 : 0;
}

/* Marks the row, or with off every such row of the store, skipped. */
static int
hook_sender_skip(struct db *db, const char *store, const struct hook_sender_row *row, int off)
{
        enum db_err err;
        const char *p1[] = {row->id};
        const char *p2[] = {store, off == 2 ? "true" : "false"};
        PGresult *r = off ? db_exec_prepared(db, STMT_HOOK_SKIP_STORE, 2, p2, &err)
                          : db_exec_prepared(db, STMT_HOOK_SKIP, 1, p1, &err);
        if (r == NULL)
                return -1;
        hook_stats_add(HOOK_STATS_SKIPPED, strtoull(PQcmdTuples(r), NULL, 10));
        PQclear(r);
        return 0;
}

/* Seconds to the next attempt after attempt n failed: first * 2^(n-1), at
 * most 6 hours, with "equal jitter" (half of it random) so that many
 * deliveries failing together do not come back together. */
static double
hook_sender_backoff(int first, int n, unsigned *seed)
{
        double d = first;
        for (int i = 1; i < n && d < HOOK_SENDER_MAX_DELAY; i++)
                d *= 2;
        if (d > HOOK_SENDER_MAX_DELAY)
                d = HOOK_SENDER_MAX_DELAY;
        return d / 2 + d / 2 * ((double)rand_r(seed) / RAND_MAX);
}

/* Records the attempt and the delivery's new state, in the claim's
 * transaction. 0 or -1. */
static int
hook_sender_record(struct db *db, const struct hook_sender_row *row, const char *result,
                   const char *status, double delay, const struct hook_post_result *pr,
                   const char *error)
{
        char attempt[16], code[16], ms[24], secs[32];
        snprintf(attempt, sizeof(attempt), "%d", row->attempts + 1);
        snprintf(code, sizeof(code), "%ld", pr->status);
        snprintf(ms, sizeof(ms), "%ld", pr->duration_ms < 0 ? 0 : pr->duration_ms);
        snprintf(secs, sizeof(secs), "%.3f", delay);
        const char *answer = pr->status ? pr->response : NULL;
        const char *pa[] = {row->id,
                            attempt,
                            result,
                            pr->status ? code : NULL,
                            answer,
                            error,
                            pr->address[0] ? pr->address : NULL,
                            ms};
        const char *pu[] = {row->id, status, attempt, secs, error, pr->status ? code : NULL,
                            answer};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_HOOK_ATTEMPT, 8, pa, &err);
        if (r == NULL)
                return -1;
        PQclear(r);
        if ((r = db_exec_prepared(db, STMT_HOOK_RESULT, 7, pu, &err)) == NULL)
                return -1;
        PQclear(r);
        return 0;
}

/* Sends one claimed delivery and records it. 0, or -1 (rolled back by the
 * caller: the delivery stays due). */
static int
hook_sender_send(struct db *db, const struct config_store *st, struct hook_sender_row *row,
                 unsigned *seed)
{
        char sig[HOOK_SIGN_MAX];
        if (hook_sign(st->webhooks.secret, (int64_t)time(NULL), row->body, row->len, sig,
                      sizeof(sig)) != 0) {
                log_error("webhook signature failed", "store", st->id, "delivery", row->id);
                return -1;
        }
        struct hook_post_req rq = {.url = row->url ? row->url : st->webhooks.url,
                                   .allow_private = st->webhooks.allow_private_targets,
                                   .body = row->body,
                                   .len = row->len,
                                   .signature = sig,
                                   .timeout_secs = HOOK_SENDER_TIMEOUT,
                                   .cancel = &hs.stop};
        struct hook_post_result pr;
        int rc = hook_post(&rq, &pr);
        if (atomic_load(&hs.stop) && rc != 0)
                return -1; /* cut short by the shutdown: not an attempt */
        int ok = rc == 0 && pr.status >= 200 && pr.status < 300;
        char error[300] = "";
        if (rc != 0)
                snprintf(error, sizeof(error), "%s", pr.error);
        else if (!ok)
                snprintf(error, sizeof(error), "HTTP %ld", pr.status);
        int n = row->attempts + 1;
        double delay = ok ? 0 : hook_sender_backoff(st->webhooks.first_retry_seconds, n, seed);
        int give_up = !ok && row->age + delay > HOOK_SENDER_GIVE_UP;
        const char *status = ok ? "delivered" : give_up ? "failed" : "pending";
        const char *result = ok           ? "delivered"
                             : pr.refused ? "refused"
                             : give_up    ? "failed"
                                          : "retry";
        if (hook_sender_record(db, row, result, status, delay, &pr, ok ? NULL : error) != 0)
                return -1;
        row->delivered = ok;
        char code[24], ms[24], att[24];
        log_i64(code, pr.status);
        log_i64(ms, pr.duration_ms);
        log_i64(att, n);
        if (ok) {
                log_info("webhook delivered", "store", st->id, "delivery", row->id, "type",
                         row->type, "status", code, "attempt", att, "duration_ms", ms);
                hook_stats_count(HOOK_STATS_DELIVERED);
        } else {
                log_warn(give_up ? "webhook delivery failed: giving up after 3 days"
                                 : "webhook delivery failed: will retry",
                         "store", st->id, "delivery", row->id, "type", row->type, "address",
                         pr.address, "status", code, "attempt", att, "error", error);
                hook_stats_count(pr.refused ? HOOK_STATS_REFUSED
                                 : give_up  ? HOOK_STATS_FAILED
                                            : HOOK_STATS_RETRY);
        }
        return 0;
}

/* The refund shows when the shop was last told. After the delivery's own
 * commit: bookkeeping whose failure must not undo (and so repeat) a
 * delivery the shop already has. */
static void
hook_sender_notified(struct db *db, const char *store, const char *refund)
{
        const char *p[] = {store, refund};
        PGresult *r = db_exec_prepared(db, STMT_HOOK_NOTIFIED, 2, p, NULL);
        if (r == NULL)
                log_warn("cannot record the refund's last_notification_at", "store", store,
                         "refund", refund, "error", db->last_error);
        PQclear(r);
}

/* One delivery of one store, if the store is free and has one due. 1 when
 * a delivery was handled, 0 when none, -1 on a database error. */
static int
hook_sender_one(struct db *db, const struct config *cfg, const char *store, unsigned *seed)
{
        enum db_err err;
        if (db_begin(db, &err) != 0)
                return -1;
        const char *p[] = {store};
        PGresult *lk = db_exec_prepared(db, STMT_HOOK_LOCK_STORE, 1, p, &err);
        int mine = lk != NULL && PQgetvalue(lk, 0, 0)[0] == 't';
        PQclear(lk);
        PGresult *r = mine ? db_exec_prepared(db, STMT_HOOK_CLAIM, 1, p, &err) : NULL;
        if (r == NULL || PQntuples(r) == 0) {
                PQclear(r);
                db_rollback(db);
                return lk == NULL || (mine && r == NULL) ? -1 : 0;
        }
        struct hook_sender_row row = {
            .id = PQgetvalue(r, 0, 0),
            .type = PQgetvalue(r, 0, 1),
            .alias = PQgetvalue(r, 0, 2)[0] == 't',
            .url = PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3),
            .object_type = PQgetvalue(r, 0, 4),
            .object_id = PQgetvalue(r, 0, 5),
            .attempts = atoi(PQgetvalue(r, 0, 6)),
            .age = strtoll(PQgetvalue(r, 0, 8), NULL, 10),
        };
        const struct config_store *st = config_store_find(cfg, store);
        int rc = 0;
        if (!hook_sender_wanted(st, &row)) {
                rc = hook_sender_skip(db, store, &row, hook_sender_store_off(st, &row));
        } else {
                row.len = (size_t)PQgetlength(r, 0, 7);
                row.body = malloc(row.len + 1);
                if (row.body == NULL) {
                        rc = -1;
                } else {
                        row.len = render_json_compact(row.body, PQgetvalue(r, 0, 7), row.len);
                        row.body[row.len] = '\0';
                        rc = hook_sender_send(db, st, &row, seed);
                }
                free(row.body);
        }
        if (rc != 0 || db_commit(db, &err) != 0) {
                PQclear(r);
                db_rollback(db);
                return -1;
        }
        if (row.delivered && strcmp(row.object_type, "refund") == 0)
                hook_sender_notified(db, store, row.object_id);
        PQclear(r);
        return 1;
}

/* One delivery per store that has one due, stores in a rotating order.
 * Returns how many were handled; -1 on a database error. */
static int
hook_sender_round(struct db *db, const struct config *cfg, unsigned *seed)
{
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_HOOK_DUE_STORES, 0, NULL, &err);
        if (r == NULL)
                return -1;
        int n = PQntuples(r), done = 0;
        int start = n > 0 ? rand_r(seed) % n : 0;
        for (int k = 0; k < n && !atomic_load(&hs.stop); k++) {
                int rc = hook_sender_one(db, cfg, PQgetvalue(r, (start + k) % n, 0), seed);
                if (rc < 0) {
                        done = -1;
                        break;
                }
                done += rc;
        }
        PQclear(r);
        return done;
}

/* Thread 0 also records expired invoices, cancels expired claimable
 * refunds and measures the backlog, and
 * every minute deletes what is past its retention. */
static void
hook_sender_sweep(struct db *db, time_t *prune_at)
{
        PGresult *r = db_exec_prepared(db, STMT_HOOK_EXPIRE, 0, NULL, NULL);
        PQclear(r);
        /* Claimable refunds past their claim: canceled, with an event each
         * (sql/015, docs/claims.md). */
        if ((r = db_exec_prepared(db, STMT_CLAIM_EXPIRE, 0, NULL, NULL)) != NULL) {
                if (atoi(PQgetvalue(r, 0, 0)) > 0)
                        log_info("unclaimed refunds canceled", "count", PQgetvalue(r, 0, 0));
                PQclear(r);
        }
        if (time(NULL) >= *prune_at) {
                *prune_at = time(NULL) + HOOK_SENDER_PRUNE;
                /* a full batch: another, a few at most per minute */
                for (int i = 0; i < 10 && !atomic_load(&hs.stop); i++) {
                        r = db_exec_prepared(db, STMT_HOOK_PRUNE, 0, NULL, NULL);
                        int full = r != NULL && atoi(PQcmdTuples(r)) >= 500; /* a kind had more */
                        PQclear(r);
                        if (!full)
                                break;
                }
        }
        if ((r = db_exec_prepared(db, STMT_HOOK_BACKLOG, 0, NULL, NULL)) != NULL) {
                hook_stats_backlog(strtoll(PQgetvalue(r, 0, 0), NULL, 10),
                                   strtoll(PQgetvalue(r, 0, 1), NULL, 10));
                PQclear(r);
        }
}

static void *
hook_sender_main(void *arg)
{
        int idx = (int)(intptr_t)arg;
        unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)idx * 2654435761u;
        struct db db = {0};
        time_t sweep_at = 0, prune_at = 0;
        int warned = 0;
        while (!atomic_load(&hs.stop)) {
                int done = 0;
                if (db.conn == NULL || db_ensure(&db) != 0) {
                        db_close(&db);
                        if (db_open_session(&db, hs.database_url, "SET lock_timeout = '5s'",
                                            statements, statements_count, 1) != 0) {
                                if (!warned)
                                        log_warn("webhook sender has no database connection yet",
                                                 "error", db.last_error);
                                warned = 1;
                                db_close(&db);
                        }
                }
                if (db.conn != NULL) {
                        warned = 0;
                        struct live_config_ref *ref = live_config_acquire(hs.live);
                        done = hook_sender_round(&db, ref->cfg, &seed);
                        live_config_release(ref);
                        if (idx == 0 && time(NULL) >= sweep_at) {
                                sweep_at = time(NULL) + HOOK_SENDER_SWEEP;
                                hook_sender_sweep(&db, &prune_at);
                        }
                }
                /* Straight on while there is work; else a short sleep. */
                struct pollfd pfd = {.fd = hs.wake[0], .events = POLLIN};
                if (done <= 0 && !atomic_load(&hs.stop))
                        poll(&pfd, 1, done < 0 ? 1000 : 250);
        }
        db_close(&db);
        return NULL;
}

int
hook_sender_start(struct live_config *live)
{
        if (httpc_global_init() != 0 || pipe2(hs.wake, O_NONBLOCK | O_CLOEXEC) != 0)
                return -1;
        hs.live = live;
        struct live_config_ref *ref = live_config_acquire(live);
        hs.database_url = strdup(ref->cfg->database_url);
        live_config_release(ref);
        atomic_store(&hs.stop, 0);
        if (hs.database_url == NULL) {
                hook_sender_stop();
                return -1;
        }
        for (; hs.started < HOOK_SENDER_THREADS; hs.started++)
                if (pthread_create(&hs.threads[hs.started], NULL, hook_sender_main,
                                   (void *)(intptr_t)hs.started) != 0) {
                        hook_sender_stop();
                        return -1;
                }
        return 0;
}

void
hook_sender_stop(void)
{
        atomic_store(&hs.stop, 1);
        if (hs.wake[1] >= 0) {
                ssize_t w = write(hs.wake[1], "s", 1); /* stays readable: wakes every thread */
                (void)w;
        }
        for (int i = 0; i < hs.started; i++)
                pthread_join(hs.threads[i], NULL);
        hs.started = 0;
        if (hs.wake[0] >= 0) {
                close(hs.wake[0]);
                close(hs.wake[1]);
        }
        hs.wake[0] = hs.wake[1] = -1;
        free(hs.database_url);
        hs.database_url = NULL;
}
