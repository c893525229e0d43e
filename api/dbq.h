/* A worker's asynchronous query queue: one connection in libpq pipeline mode,
 * driven by the worker's event loop. Many requests' single statements are in
 * flight at once and their results are read together, so a worker is never
 * blocked waiting for the database and pays fewer round trips and wake-ups
 * per request. Only single statements go here (each its own implicit
 * transaction); multi-statement transactions use the worker's blocking
 * connection. */
#ifndef QPAYD_API_DBQ_H
#define QPAYD_API_DBQ_H

#include <event2/event.h>
#include <libpq-fe.h>

#include "db.h"

#define DBQ_MAX_PARAMS 8

/* Called once per submitted statement, in submission order: with its result
 * (borrowed: cleared after the call), or NULL with err and the name of the
 * constraint the error names ("" when none) when it failed or the connection
 * was lost. */
typedef void (*dbq_cb)(void *arg, const PGresult *r, enum db_err err, const char *constraint);

struct dbq;

/* Opens the pipelined connection (same URL, session SQL and statements as
 * the blocking one) on base. NULL when it cannot connect now: dbq_submit
 * retries. Owned by the caller; dbq_free fails queued statements. */
struct dbq *dbq_new(struct event_base *base, const char *url, const char *session_sql,
                    const struct db_stmt *stmts, size_t nstmts);
void dbq_free(struct dbq *q);

/* 1 when a statement can be sent now (connected, session set up); 0 while
 * the connection is being made again or waits out its backoff. */
int dbq_ready(const struct dbq *q);

/* Statements sent and not yet answered: what a new one would wait behind. */
int dbq_pending(const struct dbq *q);

/* 1 while reads sent in this loop turn wait for their shared sync point. */
int dbq_gathering(const struct dbq *q);

/* Queues prepared statement stmt with n text parameters (copied). cb runs
 * later from the event loop, never from inside dbq_submit. Returns 0, or -1
 * when nothing could be queued (then cb will not run). */
int dbq_submit(struct dbq *q, const char *stmt, int n, const char *const *params, dbq_cb cb,
               void *arg);

/* The same for a read-only statement with 1..DBQ_MAX_PARAMS non-NULL
 * parameters. The reads queued during one turn of the event loop share one
 * sync point, sent at the end of the turn: the database receives them in one
 * packet and answers them in one, instead of a round trip each. A read can
 * therefore be skipped by the failure of another in its group; it is then
 * sent again, which is safe because it was never executed and writes
 * nothing. */
int dbq_submit_read(struct dbq *q, const char *stmt, int n, const char *const *params, dbq_cb cb,
                    void *arg);

#endif
