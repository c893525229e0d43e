/* What a worker owns (types only, no .c: the lower layers read these fields;
 * worker.c runs it). A worker is one thread with its own event loop and HTTP
 * server, pipelined database connections driven by the loop, and a database
 * thread that owns the worker's blocking connection: a slow or stuck query
 * never blocks the loop. */
#ifndef QPAYD_API_WORKER_STATE_H
#define QPAYD_API_WORKER_STATE_H

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>

#include "config.h"
#include "conn.h"
#include "db.h"
#include "dbq.h"
#include "live_config.h"

#define WORKER_PIPELINES 4

struct http_ctx;

struct worker {
        int index;
        pthread_t thread;
        struct event_base *base;
        struct event *stop_ev; /* activated from the main thread on SIGTERM */
        /* The watchdog's probe (worker_beat): the main thread asks, the loop
         * answers; a loop that stops answering stops the WATCHDOG=1 pings. */
        struct event *beat_ev;
        atomic_uint beat_asked, beat_answered;
        struct conns conns;   /* its accepted connections and their bounds */
        struct db db;         /* used only by the database thread */
        struct dbthread *dbt; /* runs the ROUTE_DB handlers off the loop */
        /* Pipelined connections for single statements: the reads of a loop
         * turn share one, the least busy; a write goes to the least busy, so
         * that statements overlap in several backends. */
        struct dbq *dbq[WORKER_PIPELINES];
        unsigned dbq_next;
        /* The configuration serve_run was given: what changes only on restart
         * (listen, database, timeouts). Borrowed; outlives the worker. */
        const struct config *cfg;
        /* Where each request takes its reference to the configuration it runs
         * under (http_ctx_init). Borrowed; outlives the worker. */
        struct live_config *live;
        /* Request contexts freed on this loop, kept for the next requests
         * (http_ctx_new): a context is over 1 KiB, and glibc consolidates its
         * fast bins on every allocation that large. Loop thread only. */
        struct http_ctx *ctx_spare;
        int nctx_spare;
};

#endif
