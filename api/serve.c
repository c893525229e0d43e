#include "serve.h"

#include <errno.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "listen.h"
#include "dbthread.h"
#include "log.h"
#include "migrate.h"
#include "receiver.h"
#include "router.h"
#include "statements.h"
#include "worker.h"

#define SERVE_MAX_HEADERS   (16 * 1024)
#define SERVE_DB_ATTEMPTS   8
#define SERVE_PRUNE_SECONDS 60
/* No request waits long for a lock another request holds: it answers 409. */
#define SERVE_SESSION_SQL "SET lock_timeout = '5s'"

/* Requests read the configuration through serve_current. Replaced ones are
 * kept until serve_run returns: a request in flight (synchronous or waiting on
 * the database) may still hold a store of theirs. */
static _Atomic(const struct config *) serve_current;
static struct config *serve_retired[64];
static size_t serve_nretired;

const struct config *
serve_config(void)
{
        return atomic_load(&serve_current);
}

static int
serve_same(const char *a, const char *b)
{
        return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* SIGHUP: strict at start, tolerant on reload (as PgBouncer): a broken file
 * is reported and the running configuration kept. */
static void
serve_reload(const struct config *first)
{
        if (serve_nretired == sizeof(serve_retired) / sizeof(serve_retired[0])) {
                log_error("reload refused: too many reloads since start; restart qpayd");
                return;
        }
        struct config *next = NULL;
        struct config_errors errs = {0};
        if (config_load(first->path, CONFIG_PROG_API, &next, &errs) != 0) {
                for (size_t i = 0; i < errs.count; i++)
                        log_error("reload failed: configuration kept", "error", errs.items[i]);
                config_errors_free(&errs);
                return;
        }
        config_errors_free(&errs);
        /* The same checks as at start: a full phoenixd password or a node on
         * the wrong chain is refused, and the running configuration kept. */
        if (receiver_preflight(next) != 0) {
                log_error("reload refused: a receive backend failed its check; configuration "
                          "kept");
                config_free(next);
                return;
        }
        const struct config *cur = serve_config();
        if (!serve_same(next->listen, cur->listen) || next->workers != cur->workers ||
            !serve_same(next->database_url, cur->database_url) ||
            next->timeout_seconds != cur->timeout_seconds ||
            next->http_request_timeout_seconds != cur->http_request_timeout_seconds ||
            next->max_connections != cur->max_connections ||
            next->max_body_bytes != cur->max_body_bytes ||
            next->db_connect_timeout_seconds != cur->db_connect_timeout_seconds ||
            next->db_statement_timeout_seconds != cur->db_statement_timeout_seconds ||
            next->db_query_timeout_seconds != cur->db_query_timeout_seconds ||
            next->db_keepalive_seconds != cur->db_keepalive_seconds ||
            next->db_tcp_user_timeout_seconds != cur->db_tcp_user_timeout_seconds)
                log_warn("reload: listen, workers, timeout_seconds, request_timeout_seconds, "
                         "max_connections, max_body_bytes and the [database] keys change only "
                         "on restart; the rest applies now");
        serve_retired[serve_nretired++] = next;
        atomic_store(&serve_current, next);
        char n[24];
        log_info("configuration reloaded", "path", first->path, "stores",
                 log_i64(n, (int64_t)next->nstores));
}

static void
worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        /* Stop accepting, then give answers in flight a moment to flush. */
        if (w->bound != NULL) {
                conn_detach(w);
                evhttp_del_accept_socket(w->http, w->bound);
                w->bound = NULL;
        }
        struct timeval drain = {0, 200 * 1000};
        event_base_loopexit(w->base, &drain);
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
static pthread_mutex_t serve_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t serve_ready_cond = PTHREAD_COND_INITIALIZER;
static int serve_ready_count;

static void
serve_worker_ready(void)
{
        pthread_mutex_lock(&serve_ready_lock);
        serve_ready_count++;
        pthread_cond_broadcast(&serve_ready_cond);
        pthread_mutex_unlock(&serve_ready_lock);
}

static void
serve_wait_ready(int n)
{
        pthread_mutex_lock(&serve_ready_lock);
        while (serve_ready_count < n)
                pthread_cond_wait(&serve_ready_cond, &serve_ready_lock);
        serve_ready_count = 0;
        pthread_mutex_unlock(&serve_ready_lock);
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
        conn_bind_thread(w);
        struct event *log_ev = event_new(w->base, -1, 0, worker_log_flush_cb, NULL);
        if (log_ev != NULL && log_buffer_start(worker_log_kick, log_ev) != 0)
                log_warn("request lines are written one by one: out of memory");
        w->dbt =
            dbthread_new(w, w->cfg->database_url, SERVE_SESSION_SQL, statements, statements_count);
        if (w->dbt == NULL) {
                char idx[24];
                log_error("cannot start the worker's database thread; its transactions get 503",
                          "worker", log_i64(idx, w->index));
        }
        for (int i = 0; i < WORKER_PIPELINES; i++)
                w->dbq[i] = dbq_new(w->base, w->cfg->database_url, SERVE_SESSION_SQL, statements,
                                    statements_count);
        serve_worker_ready();
        struct event *prune = NULL;
        if (w->index == 0) {
                struct timeval every = {SERVE_PRUNE_SECONDS, 0};
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
        /* Sends the database thread's last answers, while evhttp still exists. */
        dbthread_free(w->dbt);
        w->dbt = NULL;
        /* Answers (503) whatever is still queued, while evhttp still exists. */
        for (int i = 0; i < WORKER_PIPELINES; i++) {
                dbq_free(w->dbq[i]);
                w->dbq[i] = NULL;
        }
        return NULL;
}

/* Sets up worker index: its loop, its evhttp on its own listening socket
 * (taken over: closed with the worker), and the bounds on its connections. */
static int
worker_setup(struct worker *w, int index, const struct config *cfg, int listen_fd, int max_conns)
{
        w->index = index;
        w->cfg = cfg;
        /* The changelist folds the add/delete pairs evhttp makes on every
         * request into one epoll_ctl, or none. */
        struct event_config *ec = event_config_new();
        if (ec == NULL)
                return -1;
        event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        w->base = event_base_new_with_config(ec);
        event_config_free(ec);
        if (w->base == NULL)
                return -1;
        w->http = evhttp_new(w->base);
        if (w->http == NULL)
                return -1;
        evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                                EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
        /* evhttp refuses a longer body from its Content-Length (or as its
         * chunks arrive) with 413 before reading it: memory per request
         * stays within max_body_bytes. */
        evhttp_set_max_body_size(w->http, (ev_ssize_t)cfg->max_body_bytes);
        evhttp_set_max_headers_size(w->http, SERVE_MAX_HEADERS);
        evhttp_set_timeout(w->http, cfg->timeout_seconds);
        evhttp_set_gencb(w->http, router_dispatch, w);
        w->bound = evhttp_accept_socket_with_handle(w->http, listen_fd);
        if (w->bound == NULL) {
                close(listen_fd);
                return -1;
        }
        w->stop_ev = event_new(w->base, -1, 0, worker_stop_cb, w);
        if (w->stop_ev == NULL)
                return -1;
        /* The workers' shares add up to max_connections. */
        int share = max_conns / cfg->workers + (index < max_conns % cfg->workers);
        return conn_init(w, share, cfg->http_request_timeout_seconds);
}

static void
worker_teardown(struct worker *w)
{
        if (w->stop_ev)
                event_free(w->stop_ev);
        conn_fini(w);
        if (w->http)
                evhttp_free(w->http);
        if (w->base)
                event_base_free(w->base);
        db_close(&w->db);
}

/* libevent's own warnings (an accept error, a bad request line) go to the
 * log as logfmt lines like everything else, not to stderr as free text. */
static void
serve_libevent_log(int severity, const char *msg)
{
        if (severity >= EVENT_LOG_WARN)
                log_warn("libevent", "detail", msg);
        else
                log_debug("libevent", "detail", msg);
}

int
serve_run(const struct config *cfg)
{
        char err[512];
        event_set_log_callback(serve_libevent_log);
        if (evthread_use_pthreads() != 0) {
                log_error("libevent threading unavailable");
                return 1;
        }
        /* Refuse to serve a schema this binary was not built for, or with a
         * statement the database will not prepare. */
        struct db probe = {0};
        if (db_open(&probe, cfg->database_url, NULL, 0, SERVE_DB_ATTEMPTS) != 0) {
                log_error("cannot reach the database", "error", probe.last_error);
                db_close(&probe);
                return 1;
        }
        int version = 0;
        int rc = migrate_current_version(&probe, &version);
        db_close(&probe);
        if (rc != 0 || version != migrate_latest_version()) {
                char have[24], want[24];
                log_error("database schema is not current: run qpayd migrate", "schema_version",
                          log_i64(have, version), "expected",
                          log_i64(want, migrate_latest_version()));
                return 1;
        }
        if (db_open_session(&probe, cfg->database_url, SERVE_SESSION_SQL, statements,
                            statements_count, 1) != 0) {
                log_error("cannot prepare the statements", "error", probe.last_error);
                db_close(&probe);
                return 1;
        }
        db_close(&probe);

        /* Wrong chain, or a payout password where a receive one belongs:
         * refuse to serve rather than credit or hold the wrong thing. */
        if (receiver_preflight(cfg) != 0)
                return 1;
        atomic_store(&serve_current, cfg);
        int max_conns = 0;
        if (conn_limit(cfg, &max_conns, err, sizeof(err)) != 0) {
                log_error("cannot serve", "error", err);
                return 1;
        }
        int n = cfg->workers;
        struct worker *workers = calloc((size_t)n, sizeof(*workers));
        int *fds = calloc((size_t)n, sizeof(*fds));
        if (workers == NULL || fds == NULL) {
                free(workers);
                free(fds);
                return 1;
        }
        if (listen_open(cfg->listen, n, fds, err, sizeof(err)) != 0) {
                log_error("cannot listen", "error", err);
                free(workers);
                free(fds);
                return 1;
        }
        /* Workers inherit this mask; only the main thread takes signals, in sigwait. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        int started = 0, failed = 0, setup = 0;
        if (receiver_start(cfg->database_url) != 0) {
                log_error("cannot start the receiver thread");
                failed = 1;
        }
        for (; setup < n && !failed; setup++)
                if (worker_setup(&workers[setup], setup, cfg, fds[setup], max_conns) != 0)
                        failed = 1;
        for (int i = setup; i < n; i++)
                close(fds[i]); /* not handed to a worker */
        free(fds);
        for (int i = 0; i < n && !failed; i++) {
                if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
                        failed = 1;
                        break;
                }
                started++;
        }
        if (!failed) {
                serve_wait_ready(n);
                char nw[24], mc[24];
                log_info("listening", "addr", cfg->listen, "workers", log_i64(nw, n),
                         "max_connections", log_i64(mc, max_conns), "version", QPAYD_VERSION);
                for (;;) {
                        int sig = 0;
                        if (sigwait(&set, &sig) != 0)
                                continue;
                        if (sig == SIGHUP) {
                                serve_reload(cfg);
                                continue;
                        }
                        log_info("stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                        break;
                }
        } else {
                log_error("cannot start workers");
        }
        for (int i = 0; i < started; i++)
                event_active(workers[i].stop_ev, EV_READ, 0);
        for (int i = 0; i < started; i++)
                pthread_join(workers[i].thread, NULL);
        receiver_stop();
        for (int i = 0; i < n; i++)
                worker_teardown(&workers[i]);
        free(workers);
        conn_table_free();
        atomic_store(&serve_current, cfg);
        for (size_t i = 0; i < serve_nretired; i++)
                config_free(serve_retired[i]);
        serve_nretired = 0;
        log_info("stopped");
        return failed ? 1 : 0;
}
