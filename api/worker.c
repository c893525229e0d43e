#include "worker.h"

#include <stdlib.h>
#include <unistd.h>

#include "conn.h"
#include "dbthread.h"
#include "export.h"
#include "log.h"
#include "router.h"
#include "statements.h"

#define WORKER_PRUNE_SECONDS 60

static void
worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        /* Stop accepting, then give answers in flight a moment to flush. */
        conn_stop_accepting(&w->conns);
        struct timeval drain = {0, 200 * 1000};
        event_base_loopexit(w->base, &drain);
}

static void
worker_beat_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        atomic_store(&w->beat_answered, atomic_load(&w->beat_asked));
}

static void
worker_pruned_cb(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)arg;
        (void)constraint;
        if (r == NULL)
                log_warn("pruning idempotency keys failed", "kind", db_err_name(err));
        else if (atoi(PQcmdTuples((PGresult *)r)) > 0)
                log_info("pruned expired idempotency keys", "count", PQcmdTuples((PGresult *)r));
}

/* Worker 0 deletes expired Idempotency-Keys (kept 24 hours) in batches. */
static void
worker_prune_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        if (w->dbq[0] != NULL)
                dbq_submit(w->dbq[0], STMT_IDEM_PRUNE, 0, NULL, worker_pruned_cb, w);
}

/* "listening" is logged once every worker has opened its pipelined
 * connections (or given up, bounded by connect_timeout): the first ones are
 * opened blocking, before the worker's loop runs, and a request that came
 * in meanwhile would wait behind them. */
static pthread_mutex_t worker_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t worker_ready_cond = PTHREAD_COND_INITIALIZER;
static int worker_ready_count;

static void
worker_ready(void)
{
        pthread_mutex_lock(&worker_ready_lock);
        worker_ready_count++;
        pthread_cond_broadcast(&worker_ready_cond);
        pthread_mutex_unlock(&worker_ready_lock);
}

void
worker_wait_ready(int n)
{
        pthread_mutex_lock(&worker_ready_lock);
        while (worker_ready_count < n)
                pthread_cond_wait(&worker_ready_cond, &worker_ready_lock);
        worker_ready_count = 0;
        pthread_mutex_unlock(&worker_ready_lock);
}

/* The end of a loop turn in which request lines were logged: write them. */
static void
worker_log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        (void)arg;
        log_buffer_flush();
}

/* A first line was gathered: the flush runs after this turn's callbacks. */
static void
worker_log_kick(void *arg)
{
        event_active(arg, EV_READ, 0);
}

static void *
worker_main(void *arg)
{
        struct worker *w = arg;
        struct event *log_ev = event_new(w->base, -1, 0, worker_log_flush_cb, NULL);
        if (log_ev != NULL && log_buffer_start(worker_log_kick, log_ev) != 0)
                log_warn("request lines are written one by one: out of memory");
        w->dbt =
            dbthread_new(w, w->cfg->database_url, WORKER_SESSION_SQL, statements, statements_count);
        if (w->dbt == NULL) {
                char idx[24];
                log_error("cannot start the worker's database thread; its transactions get 503",
                          "worker", log_i64(idx, w->index));
        }
        for (int i = 0; i < WORKER_PIPELINES; i++)
                w->dbq[i] = dbq_new(w->base, w->cfg->database_url, WORKER_SESSION_SQL, statements,
                                    statements_count);
        worker_ready();
        struct event *prune = NULL;
        if (w->index == 0) {
                struct timeval every = {WORKER_PRUNE_SECONDS, 0};
                prune = event_new(w->base, -1, EV_PERSIST, worker_prune_cb, w);
                if (prune != NULL)
                        event_add(prune, &every);
        }
        event_base_dispatch(w->base);
        if (prune != NULL)
                event_free(prune);
        log_buffer_stop();
        if (log_ev != NULL)
                event_free(log_ev);
        /* Sends the database thread's last answers, while the connections exist. */
        dbthread_free(w->dbt);
        w->dbt = NULL;
        /* Answers (503) whatever is still queued, while the connections exist. */
        for (int i = 0; i < WORKER_PIPELINES; i++) {
                dbq_free(w->dbq[i]);
                w->dbq[i] = NULL;
        }
        /* Exports waiting on their client: cut, while the connections exist. */
        export_worker_stop(w);
        return NULL;
}

int
worker_setup(struct worker *w, int index, const struct config *cfg, struct live_config *live,
             int listen_fd, int max_conns)
{
        w->index = index;
        w->cfg = cfg;
        w->live = live;
        w->base = event_base_new();
        if (w->base == NULL)
                goto fail;
        /* The workers' shares add up to max_connections. */
        int share = max_conns / cfg->workers + (index < max_conns % cfg->workers);
        if (conn_init(&w->conns, w->base, index, listen_fd, share, cfg, router_dispatch, w) != 0)
                return -1; /* conn_fini (worker_teardown) closes listen_fd */
        w->stop_ev = event_new(w->base, -1, 0, worker_stop_cb, w);
        w->beat_ev = event_new(w->base, -1, 0, worker_beat_cb, w);
        if (w->stop_ev == NULL || w->beat_ev == NULL)
                return -1;
        return 0;
fail:
        close(listen_fd);
        return -1;
}

int
worker_start(struct worker *w)
{
        return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void
worker_stop(struct worker *w)
{
        event_active(w->stop_ev, EV_READ, 0);
}

int
worker_beat(struct worker *w)
{
        unsigned asked = atomic_load(&w->beat_asked);
        int alive = atomic_load(&w->beat_answered) == asked;
        if (alive) {
                atomic_store(&w->beat_asked, asked + 1);
                event_active(w->beat_ev, EV_READ, 0);
        }
        return alive;
}

void
worker_join(struct worker *w)
{
        pthread_join(w->thread, NULL);
}

void
worker_teardown(struct worker *w)
{
        if (w->stop_ev)
                event_free(w->stop_ev);
        if (w->beat_ev)
                event_free(w->beat_ev);
        if (w->base)
                conn_fini(&w->conns);
        if (w->base)
                event_base_free(w->base);
        http_ctx_spares_free(w);
        db_close(&w->db);
}
