/* A worker's accepted connections: how many are open, which are in the
 * middle of sending a request, and the bounds qpayd keeps on them against a
 * hostile client (max_connections, request_timeout_seconds, running out of
 * file descriptors). libevent 2.1's evhttp has none of these, so each
 * connection is tracked from evhttp's bufferevent hook to its close
 * callback. Everything here runs in the worker's own loop thread. */
#ifndef QPAYD_API_CONN_H
#define QPAYD_API_CONN_H

#include <event2/event.h>
#include <event2/http.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct worker;
struct conn;

struct conns {
        struct conn *pending; /* accepted; evhttp has not finished setting them up */
        struct conn *head;    /* set up: oldest last, most recent first */
        int count;            /* open connections, pending or not */
        int cap;              /* this worker's share of max_connections */
        int64_t request_timeout_ms;
        int paused;   /* the listener is off: at the cap with every connection busy,
                         or out of file descriptors */
        int spare_fd; /* kept open so that one accept can still shed a connection
                         when the process is out of file descriptors */
        struct evconnlistener *listener; /* borrowed from evhttp */
        struct event *adopt_ev, *sweep_ev, *resume_ev;
        /* Counted since the last sweep, then logged once (an attack must not
         * turn into a line per connection). */
        unsigned long evicted, timed_out, accept_errors;
        int last_accept_errno, last_send_errno;
        unsigned sweeps;
        struct conn *closing; /* being freed by conn_close: the close callback clears it */
};

/* The connection cap for cfg: [server] max_connections, or when 0 what the
 * open-files limit leaves after the descriptors qpayd needs for itself.
 * Sizes the descriptor table (conn_table_init). 0, or -1 with err naming
 * the limit and what to raise. */
int conn_limit(const struct config *cfg, int *max_conns, char *err, size_t errsz);

/* Sizes the process-wide table from a connection's descriptor to its record:
 * call once before any worker starts, with the open-files limit. -1 when
 * out of memory. */
int conn_table_init(int max_fds);
void conn_table_free(void);

/* Sets up w->conns for the worker's evhttp and its bound socket: cap
 * connections at most, requests read within request_timeout_seconds. 0 or -1. */
int conn_init(struct worker *w, int cap, int request_timeout_seconds);
/* In the worker's thread, before its loop runs: the listener's error
 * callback finds the worker through it. */
void conn_bind_thread(struct worker *w);
/* The listener is gone (evhttp_del_accept_socket): stop touching it. */
void conn_detach(struct worker *w);
/* Before evhttp_free: releases what evhttp does not own. */
void conn_fini(struct worker *w);

/* A request reached a handler (loop thread): the connection is busy until
 * conn_replied. Returns the record (NULL when untracked); the caller keeps it
 * for conn_replied. */
struct conn *conn_dispatched(struct evhttp_request *req);
/* The handler answered: the connection is idle again, or reading the next
 * pipelined request. c may be NULL. */
void conn_replied(struct conn *c);

/* Process-wide: connections open, connections closed by the cap and by the
 * request deadline, accept() failures (for /metrics). */
struct conn_stats {
        unsigned long long open, evicted, timed_out, accept_errors;
};
void conn_stats(struct conn_stats *out);

#endif
