/* A worker's listening socket and the bounds qpayd keeps on its connections
 * against a hostile client: how many may be open (max_connections, with the
 * connection idle longest making room), how long a request may take to
 * arrive (request_timeout_seconds, however slowly it trickles), how long a
 * connection may idle or stall a write (timeout_seconds), and what happens
 * when the process runs out of file descriptors. The connections
 * themselves are hconn.c's. Everything here runs in the worker's own loop
 * thread. */
#ifndef QPAYD_API_CONN_H
#define QPAYD_API_CONN_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hconn.h"

struct conns {
        struct hconns hs; /* the open connections */
        int index;        /* the worker's, for the log */
        int cap;          /* this worker's share of max_connections */
        int listen_fd;    /* owned; -1 once closed */
        int paused;       /* not accepting: at the cap with every connection busy,
                             or out of file descriptors */
        int spare_fd;     /* kept open so that one accept can still shed a connection
                             when the process is out of file descriptors */
        struct event *accept_ev, *sweep_ev, *resume_ev, *room_ev;
        /* Counted since the last summary, then logged once a second (an
         * attack must not turn into a line per connection). */
        unsigned long evicted, timed_out, accept_errors;
        int last_accept_errno;
        unsigned sweeps;
};

/* The connection cap for cfg: [server] max_connections, or when 0 what the
 * open-files limit leaves after the descriptors qpayd needs for itself.
 * 0, or -1 with err naming the limit and what to raise. */
int conn_limit(const struct config *cfg, int *max_conns, char *err, size_t errsz);

/* Sets up cs to accept on listen_fd (owned from now on) on base: cap
 * connections at most, cfg's body limit and timeouts; each complete request
 * goes to dispatch(hc, arg). 0, or -1 (listen_fd is then closed by
 * conn_fini). */
int conn_init(struct conns *cs, struct event_base *base, int index, int listen_fd, int cap,
              const struct config *cfg, void (*dispatch)(struct hconn *, void *), void *arg);
/* Stops accepting and closes the listening socket (shutdown). */
void conn_stop_accepting(struct conns *cs);
/* Closes every connection and frees what cs holds (after the loop ended and
 * every handler let go of its connection). */
void conn_fini(struct conns *cs);

/* Process-wide: connections open, connections closed by the cap and by the
 * request deadline, accept() failures (for /metrics). */
struct conn_stats {
        unsigned long long open, evicted, timed_out, accept_errors;
};
void conn_stats(struct conn_stats *out);

#endif
