#include "serve.h"

#include <errno.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "hook_sender.h"
#include "listen.h"
#include "live_config.h"
#include "log.h"
#include "receiver.h"
#include "schema.h"
#include "sdnotify.h"
#include "statements.h"
#include "worker.h"

#define SERVE_DB_ATTEMPTS 8
/* A reload's start-up checks call each store's backends: at most this long a
 * store when they hang (receiver_preflight's timeouts). */
#define SERVE_RELOAD_USEC_PER_STORE (15 * 1000000ULL)

static int
serve_same(const char *a, const char *b)
{
        return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Sets systemd's watchdog timeout (WATCHDOG_USEC=, systemd 236 and later). */
static void
serve_watchdog_usec(uint64_t usec)
{
        char msg[48];
        snprintf(msg, sizeof(msg), "WATCHDOG_USEC=%llu", (unsigned long long)usec);
        sdnotify_send(msg);
}

/* SIGHUP: strict at start, tolerant on reload (as PgBouncer): a broken file
 * is reported and the running configuration kept. With a watchdog of
 * dog_usec, its timeout is stretched over the backend checks (the main
 * thread cannot ping meanwhile); serve_wait restores it. */
static void
serve_reload(const struct config *first, struct live_config *live, uint64_t dog_usec)
{
        struct config *next = NULL;
        struct config_errors errs = {0};
        if (config_load(first->path, CONFIG_PROG_API, &next, &errs) != 0) {
                for (size_t i = 0; i < errs.count; i++)
                        log_error("reload failed: configuration kept", "error", errs.items[i]);
                config_errors_free(&errs);
                return;
        }
        config_errors_free(&errs);
        if (dog_usec > 0)
                serve_watchdog_usec(dog_usec + SERVE_RELOAD_USEC_PER_STORE * next->nstores);
        /* The same checks as at start: a full phoenixd password or a node on
         * the wrong chain is refused, and the running configuration kept. */
        if (receiver_preflight(next) != 0) {
                log_error("reload refused: a receive backend failed its check; configuration "
                          "kept");
                config_free(next);
                return;
        }
        struct live_config_ref *ref = live_config_acquire(live);
        const struct config *cur = ref->cfg;
        if (!serve_same(next->listen, cur->listen) || next->workers != cur->workers ||
            !serve_same(next->database_url, cur->database_url) ||
            next->timeout_seconds != cur->timeout_seconds ||
            next->http_request_timeout_seconds != cur->http_request_timeout_seconds ||
            next->max_connections != cur->max_connections || next->receive != cur->receive ||
            next->max_body_bytes != cur->max_body_bytes ||
            next->db_connect_timeout_seconds != cur->db_connect_timeout_seconds ||
            next->db_statement_timeout_seconds != cur->db_statement_timeout_seconds ||
            next->db_query_timeout_seconds != cur->db_query_timeout_seconds ||
            next->db_keepalive_seconds != cur->db_keepalive_seconds ||
            next->db_tcp_user_timeout_seconds != cur->db_tcp_user_timeout_seconds)
                log_warn("reload: listen, workers, timeout_seconds, request_timeout_seconds, "
                         "max_connections, max_body_bytes, receive and the [database] keys "
                         "change only on restart; the rest applies now");
        live_config_release(ref);
        char n[24];
        log_i64(n, (int64_t)next->nstores);
        /* Requests in flight keep the configuration they started with; the
         * last one to finish frees it. */
        if (live_config_swap(live, next) != 0) {
                log_error("reload failed: out of memory; configuration kept");
                return;
        }
        log_info("configuration reloaded", "path", first->path, "stores", n);
}

/* The main thread from "listening" until SIGTERM/SIGINT: reloads on SIGHUP,
 * and pings systemd's watchdog every half interval only while every
 * worker's loop answers its probe (a loop stuck in a handler stops the
 * pings, and systemd restarts qpayd). */
static void
serve_wait(const sigset_t *set, const struct config *cfg, struct live_config *live,
           struct worker *workers, int n)
{
        struct sdnotify_watchdog dog;
        sdnotify_watchdog_init(&dog);
        for (;;) {
                uint64_t now = sdnotify_now_usec();
                int ms = sdnotify_watchdog_wait_ms(&dog, now);
                if (ms == 0) {
                        int alive = 1;
                        for (int i = 0; i < n; i++)
                                alive &= worker_beat(&workers[i]);
                        if (alive)
                                sdnotify_watchdog_ping(&dog, now);
                        if (!alive) {
                                log_error("a worker's loop does not answer: watchdog not pinged");
                                dog.last_usec = now; /* ask again in half an interval */
                        }
                        continue;
                }
                int sig = 0;
                if (ms < 0) {
                        if (sigwait(set, &sig) != 0)
                                continue;
                } else {
                        struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
                        sig = sigtimedwait(set, NULL, &t);
                        if (sig < 0)
                                continue; /* EAGAIN: time for the next ping */
                }
                if (sig == SIGHUP) {
                        sdnotify_reloading();
                        serve_reload(cfg, live, dog.interval_usec);
                        if (dog.interval_usec > 0) {
                                serve_watchdog_usec(dog.interval_usec);
                                dog.last_usec = 0; /* ping at once */
                        }
                        sdnotify_send("READY=1");
                        continue;
                }
                log_info("stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                sdnotify_send("STOPPING=1");
                return;
        }
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
        /* A later schema of this binary's level is served (expand/contract,
         * docs/upgrading.md): a rolling upgrade migrates first. */
        struct schema_state have = {0, 1};
        enum db_err dberr;
        if (schema_read(&probe, &have, &dberr) != 0 && dberr != DB_ERR_UNDEFINED) {
                log_error("cannot read the schema version", "error", probe.last_error);
                db_close(&probe);
                return 1;
        }
        db_close(&probe);
        char why[160];
        enum schema_fit fit = schema_fit(&have, why, sizeof(why));
        if (!schema_usable(fit)) {
                log_error("database schema not usable", "reason", why);
                return 1;
        }
        if (fit == SCHEMA_NEWER_COMPATIBLE)
                log_info("serving a newer schema", "reason", why);
        if (db_open_session(&probe, cfg->database_url, WORKER_SESSION_SQL, statements,
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
        int max_conns = 0;
        if (conn_limit(cfg, &max_conns, err, sizeof(err)) != 0) {
                log_error("cannot serve", "error", err);
                return 1;
        }
        int n = cfg->workers;
        struct live_config *live = live_config_new(cfg);
        struct worker *workers = calloc((size_t)n, sizeof(*workers));
        int *fds = calloc((size_t)n, sizeof(*fds));
        if (live == NULL || workers == NULL || fds == NULL) {
                live_config_free(live);
                free(workers);
                free(fds);
                return 1;
        }
        if (listen_open(cfg->listen, n, fds, err, sizeof(err)) != 0) {
                log_error("cannot listen", "error", err);
                live_config_free(live);
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
        /* receive = false: the API only, no call out (docs/scaling.md). */
        if (!cfg->receive)
                log_info("receive = false: this instance neither receives nor delivers webhooks");
        if (cfg->receive && receiver_start(live) != 0) {
                log_error("cannot start the receiver thread");
                failed = 1;
        }
        if (!failed && cfg->receive && hook_sender_start(live) != 0) {
                log_error("cannot start the webhook sender");
                failed = 1;
        }
        for (; setup < n && !failed; setup++)
                if (worker_setup(&workers[setup], setup, cfg, live, fds[setup], max_conns) != 0)
                        failed = 1;
        for (int i = setup; i < n; i++)
                close(fds[i]); /* not handed to a worker */
        free(fds);
        for (int i = 0; i < n && !failed; i++) {
                if (worker_start(&workers[i]) != 0) {
                        failed = 1;
                        break;
                }
                started++;
        }
        if (!failed) {
                worker_wait_ready(n);
                char nw[24], mc[24];
                log_info("listening", "addr", cfg->listen, "workers", log_i64(nw, n),
                         "max_connections", log_i64(mc, max_conns), "version", QPAYD_VERSION);
                sdnotify_send("READY=1");
                serve_wait(&set, cfg, live, workers, n);
        } else {
                log_error("cannot start workers");
        }
        for (int i = 0; i < started; i++)
                worker_stop(&workers[i]);
        for (int i = 0; i < started; i++)
                worker_join(&workers[i]);
        receiver_stop();
        hook_sender_stop();
        for (int i = 0; i < n; i++)
                worker_teardown(&workers[i]);
        free(workers);
        /* Every request and the receiver have let go of theirs by now. */
        live_config_free(live);
        log_info("stopped");
        return failed ? 1 : 0;
}
