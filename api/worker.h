/* Runs one worker (worker_state.h): sets up its loop and HTTP server (conn.c)
 * on its own listening socket, starts its thread (database thread, pipelined
 * connections, the Idempotency-Key pruning on worker 0), stops and frees it.
 * Requests go to router_dispatch. */
#ifndef QPAYD_API_WORKER_H
#define QPAYD_API_WORKER_H

#include "config.h"
#include "live_config.h"
#include "worker_state.h"

/* Every database session of a worker: no request waits long for a lock
 * another request holds (it answers 409). */
#define WORKER_SESSION_SQL "SET lock_timeout = '5s'"

/* Sets up w as worker index of cfg->workers: its loop, its connections on
 * listen_fd (taken over: closed with the worker) and its share of
 * max_conns. Requests take their configuration from live. 0, or -1 (call
 * worker_teardown all the same). */
int worker_setup(struct worker *w, int index, const struct config *cfg, struct live_config *live,
                 int listen_fd, int max_conns);
/* Starts w's thread. 0, or -1 when the thread could not be created. */
int worker_start(struct worker *w);
/* Waits until n started workers have opened their database connections (or
 * given up): a request that came in earlier would wait behind them. */
void worker_wait_ready(int n);
/* From another thread: w stops accepting, flushes its answers in flight and
 * its thread ends. worker_join waits for that. */
void worker_stop(struct worker *w);
void worker_join(struct worker *w);
/* From the main thread: 1 when w's loop answered the previous probe (or
 * none was sent yet), then sends the next one. Loops stuck in a handler
 * miss it, and systemd's watchdog then restarts qpayd. */
int worker_beat(struct worker *w);
/* Frees what worker_setup made (after worker_join when it was started). */
void worker_teardown(struct worker *w);

#endif
