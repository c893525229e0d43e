/* A worker's database thread: it owns the worker's blocking connection and
 * runs the handlers that use it (multi-statement transactions, /readyz), so
 * that a slow or stuck database never blocks the worker's event loop, and
 * /healthz and the other loop requests answer meanwhile. Handlers record
 * their reply (http.c, c->offloop); the loop thread sends it. */
#ifndef QPAYD_API_DBTHREAD_H
#define QPAYD_API_DBTHREAD_H

#include "db.h"
#include "http.h"

/* Requests waiting for the thread beyond this are answered 503 at once. */
#define DBTHREAD_QUEUE_MAX 256

struct worker;
struct dbthread;

/* A handler run on the thread (a route's, router.h). */
typedef void (*dbthread_fn)(struct http_ctx *c);

/* Starts w's database thread, which opens w->db (url, session_sql, stmts)
 * and keeps it. Runs on w's loop thread, before its loop. NULL on failure. */
struct dbthread *dbthread_new(struct worker *w, const char *url, const char *session_sql,
                              const struct db_stmt *stmts, size_t nstmts);
/* Stops and joins the thread (it finishes the handler it runs, answers 503
 * to those still queued), sends every recorded reply, closes w->db and
 * frees t. Loop thread, after its loop returned, while its connections still exist. */
void dbthread_free(struct dbthread *t);

/* Queues c to run fn on the thread; the loop sends the reply and frees c
 * later. 0 (c now belongs to the thread), or -1 when the queue is full or
 * the thread stopping (c is still the caller's, nothing was answered). */
int dbthread_submit(struct dbthread *t, struct http_ctx *c, dbthread_fn fn);

#endif
