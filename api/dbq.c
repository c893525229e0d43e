#include "dbq.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* While the database is down, try to reconnect at most this often: a worker
 * must not spend every request blocked in connect(). */
#define DBQ_RECONNECT_MS 1000

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
        struct dbq_job *next;
};

struct dbq {
        struct event_base *base;
        char *url; /* owned copy */
        const char *session_sql;
        const struct db_stmt *stmts;
        size_t nstmts;
        struct db db; /* db.conn is NULL while down */
        struct event *rd, *wr, *fail_ev;
        struct event *sync_ev; /* ends the loop iteration's batch of reads */
        int unsynced;          /* reads sent since the last sync point */
        int pending;           /* statements sent and not yet answered */
        struct dbq_job *head, *tail;
        struct timespec last_try;
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
        q->rd = q->wr = NULL;
        q->unsynced = 0;
        db_close(&q->db);
}

/* Opens the connection, prepares, enters pipeline mode. 0 or -1 (dropped). */
static int
dbq_connect(struct dbq *q)
{
        dbq_drop(q);
        clock_gettime(CLOCK_MONOTONIC, &q->last_try);
        if (db_open_session(&q->db, q->url, q->session_sql, q->stmts, q->nstmts, 1) != 0)
                goto fail;
        PGconn *conn = q->db.conn;
        if (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) != 1)
                goto fail;
        q->rd = event_new(q->base, PQsocket(conn), EV_READ | EV_PERSIST, dbq_read_cb, q);
        q->wr = event_new(q->base, PQsocket(conn), EV_WRITE, dbq_write_cb, q);
        if (q->rd == NULL || q->wr == NULL || event_add(q->rd, NULL) != 0)
                goto fail;
        return 0;
fail:
        log_warn("database pipeline not connected", "error", q->db.last_error);
        dbq_drop(q);
        return -1;
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
        if (q->tail)
                q->tail->next = j;
        else
                q->head = j;
        q->tail = j;
}

/* Fails every queued statement (the connection is lost) and drops the
 * connection: the next submit reconnects. Runs only from the event loop. */
static void
dbq_fail_all(struct dbq *q, const char *why)
{
        if (q->head != NULL)
                log_warn("database pipeline lost", "error", why);
        dbq_drop(q);
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
                        continue;
                }
                if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED && j->params[0] != NULL &&
                    !j->delivered)
                        j->aborted = 1;
                else if (!j->delivered && !j->aborted)
                        dbq_deliver(j, r);
                PQclear(r);
        }
        if (PQstatus(conn) != CONNECTION_OK)
                dbq_fail_all(q, PQerrorMessage(conn));
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

struct dbq *
dbq_new(struct event_base *base, const char *url, const char *session_sql,
        const struct db_stmt *stmts, size_t nstmts)
{
        struct dbq *q = calloc(1, sizeof(*q));
        if (q == NULL || (q->url = strdup(url)) == NULL) {
                free(q);
                return NULL;
        }
        q->base = base;
        q->session_sql = session_sql;
        q->stmts = stmts;
        q->nstmts = nstmts;
        q->fail_ev = event_new(base, -1, 0, dbq_fail_cb, q);
        q->sync_ev = event_new(base, -1, 0, dbq_sync_cb, q);
        if (q->fail_ev == NULL || q->sync_ev == NULL) {
                if (q->fail_ev)
                        event_free(q->fail_ev);
                if (q->sync_ev)
                        event_free(q->sync_ev);
                free(q->url);
                free(q);
                return NULL;
        }
        dbq_connect(q); /* may fail: submit retries */
        return q;
}

void
dbq_free(struct dbq *q)
{
        if (q == NULL)
                return;
        dbq_fail_all(q, "shutting down");
        event_free(q->fail_ev);
        event_free(q->sync_ev);
        free(q->url);
        free(q);
}

static int
dbq_usable(struct dbq *q)
{
        if (q->db.conn != NULL && PQstatus(q->db.conn) == CONNECTION_OK)
                return 1;
        if (q->head != NULL)
                return 0; /* the failure is being delivered */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - q->last_try.tv_sec) * 1000 +
                  (now.tv_nsec - q->last_try.tv_nsec) / 1000000;
        return ms >= DBQ_RECONNECT_MS && dbq_connect(q) == 0;
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

int
dbq_submit(struct dbq *q, const char *stmt, int n, const char *const *params, dbq_cb cb, void *arg)
{
        if (!dbq_usable(q))
                return -1;
        /* Reads sent before it get their own sync point: a write's group
         * holds the write alone, so it commits or fails by itself. */
        if (q->unsynced && dbq_sync(q) != 0)
                return -1;
        struct dbq_job *j = dbq_job_new(cb, arg);
        if (j == NULL)
                return -1;
        if (PQsendQueryPrepared(q->db.conn, stmt, n, params, NULL, NULL, 0) != 1) {
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
        if (PQsendQueryPrepared(q->db.conn, j->stmt, j->n, (const char *const *)j->params, NULL,
                                NULL, 0) != 1) {
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
        if (n < 1 || n > DBQ_MAX_PARAMS || !dbq_usable(q))
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
