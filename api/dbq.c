#include "dbq.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A connection is READY for statements only after its session is set up;
 * while DOWN (waiting out the backoff), CONNECTING or in SETUP, submits fail
 * at once (503) instead of waiting. */
enum dbq_state { DBQ_DOWN, DBQ_CONNECTING, DBQ_SETUP, DBQ_READY };

/* The queue holds statements and the sync points after them, in the order
 * libpq returns their results. */
struct dbq_job {
        dbq_cb cb; /* NULL: a sync point */
        void *arg;
        int delivered; /* its result (or error) went to cb */
        int aborted;   /* skipped after an earlier error in its sync group: resend */
        const char *stmt;
        int n;
        char *params[DBQ_MAX_PARAMS]; /* reads only: kept to resend; owned */
        struct timespec queued_at;    /* first sent: the deadline counts from here */
        struct dbq_job *next;
};

struct dbq {
        struct event_base *base;
        const char *session_sql;
        const struct db_stmt *stmts;
        size_t nstmts;
        struct db db; /* db.conn is NULL while down; db.retry_at is the backoff */
        enum dbq_state state;
        struct event *rd, *wr, *fail_ev;
        struct event *conn_ev;     /* the connection attempt's socket, with its timeout */
        struct event *retry_ev;    /* starts the next connection attempt */
        struct event *deadline_ev; /* fails the queue when its oldest statement is overdue */
        struct timespec connect_started;
        int setup_failed;
        struct event *sync_ev; /* ends the loop iteration's batch of reads */
        int unsynced;          /* reads sent since the last sync point */
        int pending;           /* statements sent and not yet answered */
        struct dbq_job *head, *tail;
};

static void dbq_read_cb(evutil_socket_t fd, short what, void *arg);
static int dbq_send_read(struct dbq *q, struct dbq_job *j);
static void dbq_write_cb(evutil_socket_t fd, short what, void *arg);

static void
dbq_drop(struct dbq *q)
{
        if (q->rd)
                event_free(q->rd);
        if (q->wr)
                event_free(q->wr);
        if (q->conn_ev)
                event_free(q->conn_ev);
        q->rd = q->wr = q->conn_ev = NULL;
        q->unsynced = 0;
        q->setup_failed = 0;
        q->state = DBQ_DOWN;
        if (q->db.conn != NULL)
                PQfinish(q->db.conn);
        q->db.conn = NULL;
}

/* Arms retry_ev for the end of the backoff (now, when there is none). */
static void
dbq_retry_schedule(struct dbq *q)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms = (long long)(q->db.retry_at.tv_sec - now.tv_sec) * 1000 +
                       (q->db.retry_at.tv_nsec - now.tv_nsec) / 1000000;
        if (ms < 0)
                ms = 0;
        struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
        event_add(q->retry_ev, &tv);
}

/* A connection attempt failed (why NULL: libpq says why): dropped, tried
 * again after the backoff. */
static void
dbq_connect_failed(struct dbq *q, const char *why)
{
        if (q->conn_ev)
                event_free(q->conn_ev);
        q->conn_ev = NULL;
        db_connect_failed(&q->db, why); /* closes db.conn, starts the backoff */
        dbq_drop(q);
        log_warn("database pipeline not connected", "error", q->db.last_error);
        dbq_retry_schedule(q);
}

static void dbq_conn_cb(evutil_socket_t fd, short what, void *arg);

/* Waits for the attempt's socket (libpq may change it between polls), at
 * most until connect_timeout from the attempt's start. */
static void
dbq_conn_wait(struct dbq *q, short what)
{
        if (q->conn_ev)
                event_free(q->conn_ev);
        q->conn_ev = event_new(q->base, PQsocket(q->db.conn), what, dbq_conn_cb, q);
        int limit = db_get_limits().connect_timeout_seconds;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left =
            (long long)limit * 1000 - ((long long)(now.tv_sec - q->connect_started.tv_sec) * 1000 +
                                       (now.tv_nsec - q->connect_started.tv_nsec) / 1000000);
        if (left < 0)
                left = 0;
        struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
        if (q->conn_ev == NULL || event_add(q->conn_ev, limit > 0 ? &tv : NULL) != 0)
                dbq_connect_failed(q, "cannot watch the database connection");
}

static void dbq_setup_start(struct dbq *q);

static void
dbq_conn_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        struct dbq *q = arg;
        if (what & EV_TIMEOUT) {
                char msg[96];
                snprintf(msg, sizeof(msg), "connection attempt timed out after %d s",
                         db_get_limits().connect_timeout_seconds);
                dbq_connect_failed(q, msg);
                return;
        }
        switch (PQconnectPoll(q->db.conn)) {
        case PGRES_POLLING_READING:
                dbq_conn_wait(q, EV_READ);
                break;
        case PGRES_POLLING_WRITING:
                dbq_conn_wait(q, EV_WRITE);
                break;
        case PGRES_POLLING_OK:
                event_free(q->conn_ev);
                q->conn_ev = NULL;
                dbq_setup_start(q);
                break;
        default:
                dbq_connect_failed(q, NULL);
                break;
        }
}

/* Starts a connection attempt without blocking the loop: PQconnectPoll
 * driven by the socket's events, then the session set up in the pipeline. */
static void
dbq_connect_start(struct dbq *q)
{
        dbq_drop(q);
        clock_gettime(CLOCK_MONOTONIC, &q->connect_started);
        if (db_connect_start(&q->db) != 0) {
                log_warn("database pipeline not connected", "error", q->db.last_error);
                dbq_retry_schedule(q);
                return;
        }
        q->state = DBQ_CONNECTING;
        dbq_conn_wait(q, EV_WRITE); /* libpq: poll for writing first */
}

static void
dbq_retry_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct dbq *q = arg;
        if (q->state == DBQ_DOWN && q->head == NULL)
                dbq_connect_start(q);
        else if (q->state == DBQ_DOWN)
                event_add(q->retry_ev, &(struct timeval){0, 10000}); /* failures being delivered */
}

/* The connection is up: nonblocking, in pipeline mode, read by rd. 0 or -1. */
static int
dbq_enter_pipeline(struct dbq *q)
{
        PGconn *conn = q->db.conn;
        if (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) != 1)
                return -1;
        q->rd = event_new(q->base, PQsocket(conn), EV_READ | EV_PERSIST, dbq_read_cb, q);
        q->wr = event_new(q->base, PQsocket(conn), EV_WRITE, dbq_write_cb, q);
        if (q->rd == NULL || q->wr == NULL || event_add(q->rd, NULL) != 0)
                return -1;
        return 0;
}

/* A job for one statement, its answer going to cb(arg); NULL when out of
 * memory. */
static struct dbq_job *
dbq_job_new(dbq_cb cb, void *arg)
{
        struct dbq_job *j = calloc(1, sizeof(*j));
        if (j != NULL) {
                j->cb = cb;
                j->arg = arg;
                clock_gettime(CLOCK_MONOTONIC, &j->queued_at);
        }
        return j;
}

static void
dbq_job_free(struct dbq_job *j)
{
        for (int i = 0; i < DBQ_MAX_PARAMS; i++)
                free(j->params[i]);
        free(j);
}

static void
dbq_push(struct dbq *q, struct dbq_job *j)
{
        j->next = NULL;
        if (j->cb != NULL)
                q->pending++;
        /* The deadline of the oldest statement; dbq_deadline_cb re-arms it
         * for the next. */
        int limit = db_get_limits().query_timeout_seconds;
        if (j->cb != NULL && limit > 0 && !event_pending(q->deadline_ev, EV_TIMEOUT, NULL))
                event_add(q->deadline_ev, &(struct timeval){limit, 0});
        if (q->tail)
                q->tail->next = j;
        else
                q->head = j;
        q->tail = j;
}

/* Fails every queued statement (the connection is lost) and drops the
 * connection; retry_ev makes it again. Runs only from the event loop. */
static void
dbq_fail_all(struct dbq *q, const char *why)
{
        if (q->head != NULL)
                log_warn("database pipeline lost", "error", why);
        dbq_drop(q);
        /* Reconnects at once after a lost connection, after the backoff
         * after a timeout or a failed attempt. */
        if (q->retry_ev != NULL)
                dbq_retry_schedule(q);
        struct dbq_job *j = q->head;
        q->head = q->tail = NULL;
        q->pending = 0;
        while (j != NULL) {
                struct dbq_job *next = j->next;
                if (j->cb != NULL && !j->delivered)
                        j->cb(j->arg, NULL, DB_ERR_CONNECTION, "");
                dbq_job_free(j);
                j = next;
        }
}

static void
dbq_fail_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        dbq_fail_all(arg, "write to the database failed");
}

/* Sends what libpq has buffered; on failure the queue is failed from the
 * loop (never from inside dbq_submit, whose caller still holds its request). */
static void
dbq_flush(struct dbq *q)
{
        int rc = PQflush(q->db.conn);
        if (rc < 0)
                event_active(q->fail_ev, EV_READ, 0);
        else if (rc == 1)
                event_add(q->wr, NULL);
}

static void
dbq_write_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        dbq_flush(arg);
}

static void
dbq_deliver(struct dbq_job *j, PGresult *r)
{
        ExecStatusType st = PQresultStatus(r);
        j->delivered = 1;
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
                j->cb(j->arg, r, DB_OK, "");
        } else if (st == PGRES_PIPELINE_ABORTED) {
                /* Not executed (writes have a sync group of their own, so this
                 * is never the case for one): the caller may retry. */
                j->cb(j->arg, NULL, DB_ERR_CONNECTION, "");
        } else {
                const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
                log_debug("database statement failed", "error",
                          PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
                j->cb(j->arg, NULL, db_err_from_sqlstate(state), cons ? cons : "");
        }
}

/* libpq yields, for each statement, its result then NULL, and for each sync
 * point PGRES_PIPELINE_SYNC. A read skipped because an earlier statement of
 * its sync group failed is sent again: it was never executed. */
static void
dbq_read_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct dbq *q = arg;
        PGconn *conn = q->db.conn;
        if (PQconsumeInput(conn) == 0) {
                dbq_fail_all(q, PQerrorMessage(conn));
                return;
        }
        while (q->head != NULL && !PQisBusy(conn)) {
                struct dbq_job *j = q->head;
                PGresult *r = PQgetResult(conn);
                if (r == NULL && !j->delivered && !j->aborted)
                        break;
                if (r == NULL || j->cb == NULL) {
                        if (j->cb == NULL && PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
                                PQclear(r);
                                dbq_fail_all(q, "unexpected result at a pipeline sync point");
                                return;
                        }
                        PQclear(r);
                        q->head = j->next;
                        if (q->head == NULL)
                                q->tail = NULL;
                        if (j->cb != NULL)
                                q->pending--;
                        if (j->aborted && dbq_send_read(q, j) == 0)
                                continue;
                        if (j->aborted)
                                j->cb(j->arg, NULL, DB_ERR_CONNECTION, "");
                        dbq_job_free(j);
                        /* The session's set-up is answered: statements may come. */
                        if (q->state == DBQ_SETUP && q->head == NULL && !q->setup_failed) {
                                q->state = DBQ_READY;
                                log_info("database pipeline reconnected");
                        }
                        continue;
                }
                if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED && j->params[0] != NULL &&
                    !j->delivered)
                        j->aborted = 1;
                else if (!j->delivered && !j->aborted)
                        dbq_deliver(j, r);
                PQclear(r);
        }
        if (q->setup_failed) {
                db_retry_later(&q->db); /* it would fail the same way at once */
                dbq_fail_all(q, q->db.last_error);
        } else if (PQstatus(conn) != CONNECTION_OK) {
                dbq_fail_all(q, PQerrorMessage(conn));
        }
}

/* Appends a sync point for the reads sent so far (it also flushes). */
static int
dbq_sync(struct dbq *q)
{
        struct dbq_job *m = dbq_job_new(NULL, NULL); /* marks the sync point */
        if (m == NULL || PQpipelineSync(q->db.conn) != 1) {
                free(m);
                event_active(q->fail_ev, EV_READ, 0);
                return -1;
        }
        q->unsynced = 0;
        dbq_push(q, m);
        dbq_flush(q);
        return 0;
}

static void
dbq_sync_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct dbq *q = arg;
        if (q->unsynced && q->db.conn != NULL)
                dbq_sync(q);
}

/* Answers one step of the session's set-up. */
static void
dbq_setup_cb(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)constraint;
        struct dbq *q = arg;
        if (r == NULL && !q->setup_failed) {
                q->setup_failed = 1;
                snprintf(q->db.last_error, sizeof(q->db.last_error), "session set-up failed (%s)",
                         db_err_name(err));
        }
}

/* Sends what db_ensure would run after connecting (UTC, the session SQL,
 * every statement prepared) down the pipeline, with one sync point: the
 * connection is READY when its answers are in (dbq_read_cb). */
static void
dbq_setup_start(struct dbq *q)
{
        PGconn *conn = q->db.conn;
        if (dbq_enter_pipeline(q) != 0) {
                dbq_connect_failed(q, "cannot enter pipeline mode");
                return;
        }
        q->state = DBQ_SETUP;
        /* Through a transaction pooler only the time zone (db.c's
         * db_setup_session says why): statements go unnamed (dbq_send). */
        const char *sql[] = {"SET TIME ZONE 'UTC'", q->db.pooled ? NULL : q->session_sql};
        size_t nsteps = 2 + (q->db.pooled ? 0 : q->nstmts);
        for (size_t i = 0; i < nsteps; i++) {
                if (i < 2 && sql[i] == NULL)
                        continue;
                struct dbq_job *j = dbq_job_new(dbq_setup_cb, q);
                const struct db_stmt *st = i >= 2 ? &q->stmts[i - 2] : NULL;
                int sent = j == NULL ? 0
                           : st == NULL
                               ? PQsendQueryParams(conn, sql[i], 0, NULL, NULL, NULL, NULL, 0)
                               : PQsendPrepare(conn, st->name, st->sql, st->nparams, NULL);
                if (sent != 1) {
                        int oom = j == NULL;
                        free(j);
                        dbq_fail_all(q, oom ? "out of memory" : PQerrorMessage(conn));
                        return;
                }
                dbq_push(q, j);
        }
        dbq_sync(q);
}

/* The oldest statement waiting longer than query_timeout: the database is
 * stuck (or the network is). Every queued statement fails (503) and the
 * connection is dropped, to be tried again after the backoff. */
static void
dbq_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct dbq *q = arg;
        int limit = db_get_limits().query_timeout_seconds;
        const struct timespec *oldest = NULL;
        for (struct dbq_job *j = q->head; j != NULL; j = j->next)
                if (j->cb != NULL && !j->delivered &&
                    (oldest == NULL || j->queued_at.tv_sec < oldest->tv_sec ||
                     (j->queued_at.tv_sec == oldest->tv_sec &&
                      j->queued_at.tv_nsec < oldest->tv_nsec)))
                        oldest = &j->queued_at;
        if (oldest == NULL || limit <= 0)
                return;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long age = (long long)(now.tv_sec - oldest->tv_sec) * 1000 +
                        (now.tv_nsec - oldest->tv_nsec) / 1000000;
        long long left = (long long)limit * 1000 - age;
        if (left > 0) {
                struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
                event_add(q->deadline_ev, &tv);
                return;
        }
        char msg[96];
        snprintf(msg, sizeof(msg), "database call timed out after %d s; connection dropped", limit);
        snprintf(q->db.last_error, sizeof(q->db.last_error), "%s", msg);
        q->db.last_timed_out = true;
        db_retry_later(&q->db);
        dbq_fail_all(q, msg);
}

struct dbq *
dbq_new(struct event_base *base, const char *url, const char *session_sql,
        const struct db_stmt *stmts, size_t nstmts)
{
        struct dbq *q = calloc(1, sizeof(*q));
        if (q == NULL)
                return NULL;
        q->base = base;
        q->session_sql = session_sql;
        q->stmts = stmts;
        q->nstmts = nstmts;
        q->fail_ev = event_new(base, -1, 0, dbq_fail_cb, q);
        q->sync_ev = event_new(base, -1, 0, dbq_sync_cb, q);
        q->retry_ev = event_new(base, -1, 0, dbq_retry_cb, q);
        q->deadline_ev = event_new(base, -1, 0, dbq_deadline_cb, q);
        if (q->fail_ev == NULL || q->sync_ev == NULL || q->retry_ev == NULL ||
            q->deadline_ev == NULL || db_init(&q->db, url, session_sql, stmts, nstmts) != 0) {
                dbq_free(q);
                return NULL;
        }
        /* The first connection blocks (bounded by connect_timeout and
         * query_timeout) before the loop serves anything, so that the worker
         * starts with its pipelines ready; every later one is made without
         * blocking (dbq_connect_start). */
        if (db_ensure(&q->db) == 0 && dbq_enter_pipeline(q) == 0) {
                q->state = DBQ_READY;
        } else {
                log_warn("database pipeline not connected", "error", q->db.last_error);
                dbq_drop(q);
                db_retry_later(&q->db);
                dbq_retry_schedule(q);
        }
        return q;
}

void
dbq_free(struct dbq *q)
{
        if (q == NULL)
                return;
        dbq_fail_all(q, "shutting down");
        struct event *evs[] = {q->fail_ev, q->sync_ev, q->retry_ev, q->deadline_ev};
        for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
                if (evs[i] != NULL)
                        event_free(evs[i]);
        db_close(&q->db);
        free(q);
}

int
dbq_ready(const struct dbq *q)
{
        return q->state == DBQ_READY && q->db.conn != NULL && PQstatus(q->db.conn) == CONNECTION_OK;
}

int
dbq_pending(const struct dbq *q)
{
        return q->pending;
}

int
dbq_gathering(const struct dbq *q)
{
        return q->unsynced;
}

/* Sends statement name: prepared, or its text unnamed through a transaction
 * pooler. What PQsendQueryPrepared returns. */
static int
dbq_send(struct dbq *q, const char *name, int n, const char *const *params)
{
        if (!q->db.pooled)
                return PQsendQueryPrepared(q->db.conn, name, n, params, NULL, NULL, 0);
        const struct db_stmt *st = db_stmt_find(&q->db, name);
        return st != NULL &&
               PQsendQueryParams(q->db.conn, st->sql, n, NULL, params, NULL, NULL, 0) == 1;
}

int
dbq_submit(struct dbq *q, const char *stmt, int n, const char *const *params, dbq_cb cb, void *arg)
{
        if (!dbq_ready(q))
                return -1;
        /* Reads sent before it get their own sync point: a write's group
         * holds the write alone, so it commits or fails by itself. */
        if (q->unsynced && dbq_sync(q) != 0)
                return -1;
        struct dbq_job *j = dbq_job_new(cb, arg);
        if (j == NULL)
                return -1;
        if (dbq_send(q, stmt, n, params) != 1) {
                free(j);
                event_active(q->fail_ev, EV_READ, 0);
                return -1;
        }
        dbq_push(q, j);
        /* Queued: should its sync point fail, the loop fails it with the rest. */
        dbq_sync(q);
        return 0;
}

/* Sends j (a read) and queues it; its sync point comes at the end of this
 * loop iteration, shared with the other reads sent until then. */
static int
dbq_send_read(struct dbq *q, struct dbq_job *j)
{
        j->delivered = j->aborted = 0;
        if (dbq_send(q, j->stmt, j->n, (const char *const *)j->params) != 1) {
                event_active(q->fail_ev, EV_READ, 0);
                return -1;
        }
        dbq_push(q, j);
        if (!q->unsynced)
                event_active(q->sync_ev, EV_WRITE, 0);
        q->unsynced = 1;
        return 0;
}

int
dbq_submit_read(struct dbq *q, const char *stmt, int n, const char *const *params, dbq_cb cb,
                void *arg)
{
        if (n < 1 || n > DBQ_MAX_PARAMS || !dbq_ready(q))
                return -1;
        struct dbq_job *j = dbq_job_new(cb, arg);
        if (j == NULL)
                return -1;
        j->stmt = stmt;
        j->n = n;
        for (int i = 0; i < n; i++) {
                if (params[i] == NULL || (j->params[i] = strdup(params[i])) == NULL) {
                        dbq_job_free(j);
                        return -1;
                }
        }
        if (dbq_send_read(q, j) != 0) {
                dbq_job_free(j);
                return -1;
        }
        return 0;
}
