#include "dbthread.h"

#include <pthread.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "worker_state.h"

struct dbthread_item {
        struct http_ctx *c; /* owned while queued or done */
        dbthread_fn fn;
        struct dbthread_item *next;
};

struct dbthread {
        struct worker *w; /* borrowed; its db belongs to this thread */
        const char *url;  /* borrowed: the worker's configuration */
        const char *session_sql;
        const struct db_stmt *stmts;
        size_t nstmts;
        pthread_t thread;
        pthread_mutex_t lock; /* guards the two lists and stopping */
        pthread_cond_t wake;
        struct dbthread_item *head, *tail; /* waiting to run */
        int queued;
        struct dbthread_item *done_head, *done_tail; /* answered, to send */
        struct event *done_ev;                       /* on the worker's base */
        int stopping;
};

static void
dbthread_list_push(struct dbthread_item **head, struct dbthread_item **tail,
                   struct dbthread_item *it)
{
        it->next = NULL;
        if (*tail != NULL)
                (*tail)->next = it;
        else
                *head = it;
        *tail = it;
}

/* Runs one request here, off the loop: its reply is recorded in c. A request
 * that already waited query_timeout behind others runs without the database
 * (c->db_late: handler_db answers 503 at once), so that a stuck database
 * bounds every answer, not only the first. */
static void
dbthread_run(struct dbthread *t, struct dbthread_item *it, int stopping)
{
        struct http_ctx *c = it->c;
        c->offloop = 1;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long waited_ms = (long long)(now.tv_sec - c->start.tv_sec) * 1000 +
                              (now.tv_nsec - c->start.tv_nsec) / 1000000;
        int limit_s = db_get_limits().query_timeout_seconds;
        if (stopping) {
                http_error(c, 503, "shutting_down", "qpayd is stopping; retry");
        } else {
                if (limit_s > 0 && waited_ms >= (long long)limit_s * 1000) {
                        log_warn("request waited too long for the database thread", "request_id",
                                 c->request_id);
                        c->db_late = 1;
                }
                it->fn(c);
                if (!c->replied)
                        http_error(c, 500, "internal", "handler gave no answer");
        }
        pthread_mutex_lock(&t->lock);
        dbthread_list_push(&t->done_head, &t->done_tail, it);
        pthread_mutex_unlock(&t->lock);
        /* Thread-safe: serve_run called evthread_use_pthreads. */
        event_active(t->done_ev, EV_READ, 0);
}

static void *
dbthread_main(void *arg)
{
        struct dbthread *t = arg;
        struct db *db = &t->w->db;
        /* Connected here, not on the loop: a database that does not answer
         * delays only this thread. A failure is retried by handler_db. */
        if (db_init(db, t->url, t->session_sql, t->stmts, t->nstmts) != 0 || db_ensure(db) != 0) {
                char idx[24];
                log_warn("worker has no database connection yet", "worker",
                         log_i64(idx, t->w->index), "error", db->last_error);
        }
        pthread_mutex_lock(&t->lock);
        for (;;) {
                while (t->head == NULL && !t->stopping)
                        pthread_cond_wait(&t->wake, &t->lock);
                struct dbthread_item *it = t->head;
                if (it == NULL)
                        break; /* stopping, nothing left */
                t->head = it->next;
                if (t->head == NULL)
                        t->tail = NULL;
                t->queued--;
                int stopping = t->stopping;
                pthread_mutex_unlock(&t->lock);
                dbthread_run(t, it, stopping);
                pthread_mutex_lock(&t->lock);
        }
        pthread_mutex_unlock(&t->lock);
        return NULL;
}

/* Loop thread: sends the replies the thread recorded. */
static void
dbthread_done_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct dbthread *t = arg;
        pthread_mutex_lock(&t->lock);
        struct dbthread_item *it = t->done_head;
        t->done_head = t->done_tail = NULL;
        pthread_mutex_unlock(&t->lock);
        while (it != NULL) {
                struct dbthread_item *next = it->next;
                http_send_recorded(it->c);
                http_ctx_free(it->c);
                free(it);
                it = next;
        }
}

struct dbthread *
dbthread_new(struct worker *w, const char *url, const char *session_sql,
             const struct db_stmt *stmts, size_t nstmts)
{
        struct dbthread *t = calloc(1, sizeof(*t));
        if (t == NULL)
                return NULL;
        t->w = w;
        t->url = url;
        t->session_sql = session_sql;
        t->stmts = stmts;
        t->nstmts = nstmts;
        t->done_ev = event_new(w->base, -1, 0, dbthread_done_cb, t);
        if (t->done_ev == NULL)
                goto fail;
        if (pthread_mutex_init(&t->lock, NULL) != 0)
                goto fail_ev;
        if (pthread_cond_init(&t->wake, NULL) != 0)
                goto fail_lock;
        if (pthread_create(&t->thread, NULL, dbthread_main, t) != 0)
                goto fail_cond;
        return t;
fail_cond:
        pthread_cond_destroy(&t->wake);
fail_lock:
        pthread_mutex_destroy(&t->lock);
fail_ev:
        event_free(t->done_ev);
fail:
        free(t);
        return NULL;
}

void
dbthread_free(struct dbthread *t)
{
        if (t == NULL)
                return;
        pthread_mutex_lock(&t->lock);
        t->stopping = 1;
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
        dbthread_done_cb(-1, 0, t);
        db_close(&t->w->db);
        event_free(t->done_ev);
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

int
dbthread_submit(struct dbthread *t, struct http_ctx *c, dbthread_fn fn)
{
        if (t == NULL)
                return -1;
        struct dbthread_item *it = malloc(sizeof(*it));
        if (it == NULL)
                return -1;
        it->c = c;
        it->fn = fn;
        pthread_mutex_lock(&t->lock);
        int ok = !t->stopping && t->queued < DBTHREAD_QUEUE_MAX;
        if (ok) {
                dbthread_list_push(&t->head, &t->tail, it);
                t->queued++;
                pthread_cond_signal(&t->wake);
        }
        pthread_mutex_unlock(&t->lock);
        if (!ok)
                free(it);
        return ok ? 0 : -1;
}
