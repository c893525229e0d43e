#include "service.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chainwatch.h"
#include "db.h"
#include "log.h"
#include "guard.h"
#include "pass.h"
#include "queries.h"
#include "reconcile.h"
#include "schema.h"
#include "sdnotify.h"

static volatile sig_atomic_t service_reload;
/* Self-pipe: a signal that arrives while a pass runs must still cut the next
 * wait short, so the handler also writes a byte the wait polls for. */
static int service_wake[2] = {-1, -1};

/* systemd's watchdog (sdnotify_alive) is pinged between the steps of the
 * loop, while it waits and at every turn of a pass's own loop
 * (executor/pass.c): one that stops turning is killed and restarted. */

static void
service_on_signal(int sig)
{
        int saved = errno;
        if (sig == SIGHUP)
                service_reload = 1;
        else
                pass_stop = 1;
        if (service_wake[1] >= 0 && write(service_wake[1], "x", 1) < 0) {
                /* full pipe: a wake-up is already pending */
        }
        errno = saved;
}

static int
service_poll_seconds(const struct config *cfg)
{
        int best = 30;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                const struct config_refunds *r[] = {&s->lightning_payout.refunds,
                                                    &s->bitcoin_payout.refunds};
                for (int k = 0; k < 2; k++)
                        if (r[k]->present && r[k]->enabled && r[k]->poll_seconds < best)
                                best = r[k]->poll_seconds;
        }
        return best;
}

/* The LISTEN connection (heartbeats go on the work one), straight to PostgreSQL (a transaction
 * pooler would not deliver notifications): the main URL, or [database] listen_url_env's under a
 * pooler. Without one the passes only poll, said once. 0 when listening. */
static int
service_listen(struct db *db, const struct config *cfg)
{
        static bool said;
        if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
                return 0;
        db_close(db);
        const char *url = config_db_direct_url(cfg);
        if (url == NULL) {
                if (!said) {
                        char s[24];
                        log_info("no direct database URL ([database] listen_url_env): polling",
                                 "poll_seconds", log_i64(s, service_poll_seconds(cfg)));
                        said = true;
                }
                return -1;
        }
        enum db_err err;
        if (db_open_direct(db, url, 1) != 0 || db_exec(db, "LISTEN qpayd_refunds", &err) != 0) {
                log_warn("cannot listen for refunds; polling only", "error", db->last_error);
                db_close(db);
                return -1;
        }
        return 0;
}

static void
service_heartbeat(struct db *db, const struct config *cfg, const struct pass_counts *n)
{
        if (db->conn == NULL)
                return;
        char host[256] = "", pid[24];
        gethostname(host, sizeof(host) - 1);
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "claimed", (double)n->claimed);
        cJSON_AddNumberToObject(c, "succeeded", (double)n->succeeded);
        cJSON_AddNumberToObject(c, "failed", (double)n->failed);
        cJSON_AddNumberToObject(c, "deferred", (double)n->deferred);
        cJSON_AddNumberToObject(c, "processing", (double)n->processing_left);
        char *counts = cJSON_PrintUnformatted(c);
        cJSON_Delete(c);
        const char *p[] = {cfg->executor_name, host, pid, QPAYD_VERSION, counts};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, Q_HEARTBEAT, 5, p, &err);
        if (r == NULL)
                log_warn("heartbeat not written", "error", db->last_error);
        PQclear(r);
        cJSON_free(counts);
}

/* Empties libpq's queue of notifications: 1 when it held any. */
static int
service_take_notifies(PGconn *conn)
{
        int any = 0;
        PGnotify *n;
        while ((n = PQnotifies(conn)) != NULL) {
                any = 1;
                PQfreemem(n);
        }
        return any;
}

/* Waits up to seconds for a notification or a signal. 1 when a
 * notification arrived (or may have been lost). */
static int
service_wait(struct db *db, int seconds)
{
        /* A statement on this connection (the heartbeat) reads whatever
         * notifications had arrived into libpq's queue: the socket will not
         * show them again, so look there first. */
        if (db->conn != NULL && service_take_notifies(db->conn))
                return 1;
        struct pollfd p[2] = {{.fd = service_wake[0], .events = POLLIN},
                              {.fd = db->conn ? PQsocket(db->conn) : -1, .events = POLLIN}};
        uint64_t end = sdnotify_now_usec() + (uint64_t)seconds * 1000000u;
        int ready;
        for (;;) {
                sdnotify_alive();
                uint64_t now = sdnotify_now_usec();
                if (now >= end)
                        return 0;
                int ms = (int)((end - now + 999) / 1000);
                int dog = sdnotify_alive_ms();
                ready = poll(p, 2, dog >= 0 && dog < ms ? dog : ms);
                if (ready != 0)
                        break;
        }
        if (ready < 0)
                return 0;
        if (p[0].revents & POLLIN) {
                char buf[64];
                while (read(service_wake[0], buf, sizeof(buf)) > 0) {
                }
        }
        if (db->conn == NULL || !(p[1].revents & POLLIN))
                return 0;
        if (PQconsumeInput(db->conn) == 0) {
                log_warn("lost the LISTEN connection; reconnecting", "error",
                         PQerrorMessage(db->conn));
                db_close(db);
                return 1; /* run a pass: a notification may have been lost */
        }
        return service_take_notifies(db->conn);
}

static void
service_load(struct config **cfg)
{
        struct config *next = NULL;
        struct config_errors errs = {0};
        if (config_load((*cfg)->path, CONFIG_PROG_EXECUTOR, &next, &errs) != 0) {
                for (size_t i = 0; i < errs.count; i++)
                        log_error("reload failed: configuration kept", "error", errs.items[i]);
                config_errors_free(&errs);
                return;
        }
        config_errors_free(&errs);
        config_free(*cfg);
        *cfg = next;
        log_info("configuration reloaded", "path", next->path);
}

/* SIGHUP: systemd hears RELOADING=1 before and READY=1 after, whether the
 * new file was taken or the running configuration kept. */
static void
service_try_reload(struct config **cfg)
{
        service_reload = 0;
        sdnotify_reloading();
        service_load(cfg);
        sdnotify_send("READY=1");
}

int
service_run(struct config *cfg)
{
        if (pipe2(service_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
                log_error("cannot create the wake-up pipe");
                config_free(cfg);
                return 1;
        }
        struct sigaction sa = {0};
        sa.sa_handler = service_on_signal; /* no SA_RESTART: waits return at once */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        log_info("refund executor started", "executor", cfg->executor_name, "version",
                 QPAYD_VERSION);
        int ready = 0;
        struct db ldb = {0}, work = {0};
        struct timespec watched = {0, 0}; /* the last chain watch (CLOCK_MONOTONIC) */
        while (!pass_stop) {
                if (service_reload)
                        service_try_reload(&cfg);
                service_listen(&ldb, cfg); /* before the pass: no notification is missed */
                /* What an earlier pass left ambiguous and the backend can settle. */
                /* One work connection for every pass, re-established when lost. */
                struct pass_counts n = {0};
                if (work.conn == NULL ? queries_db_open(&work, cfg, 1) != 0
                                      : db_ensure(&work) != 0) {
                        service_wait(&ldb, service_poll_seconds(cfg));
                        continue;
                }
                /* Connected: serving. Not after the first pass, which may
                 * be long after downtime and would then outlast systemd's
                 * start timeout and be cut short. */
                if (!ready) {
                        sdnotify_send("READY=1");
                        ready = 1;
                }
                if (schema_require(&work) != 0) {
                        service_wait(&ldb, service_poll_seconds(cfg));
                        continue;
                }
                struct reconcile_counts rn;
                sdnotify_alive();
                if (reconcile_run(cfg, &work, NULL, NULL, cfg->reconcile_after_seconds, stdout,
                                  &rn) != 0)
                        log_warn("reconcile ended with an error");
                sdnotify_alive();
                if (pass_run(cfg, &work, NULL, 1000000, stdout, &n) != 0)
                        log_warn("pass ended with an error; retrying at the next wake-up");
                sdnotify_alive();
                /* The on-chain refunds sent, until confirmed or out of the
                 * wallet's view: at most once a poll interval, however often
                 * notifications wake the passes. */
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (!pass_stop && (watched.tv_sec == 0 ||
                                   now.tv_sec - watched.tv_sec >= service_poll_seconds(cfg))) {
                        struct chainwatch_counts cn;
                        watched = now;
                        if (chainwatch_run(cfg, &work, NULL, stdout, &cn) != 0)
                                log_warn("chain watch ended with an error");
                }
                fflush(stdout);
                service_heartbeat(&work, cfg, &n);
                if (pass_stop)
                        break;
                service_wait(&ldb, service_poll_seconds(cfg));
        }
        sdnotify_send("STOPPING=1");
        log_info("refund executor stopped");
        db_close(&ldb);
        db_close(&work);
        close(service_wake[0]);
        close(service_wake[1]);
        service_wake[0] = service_wake[1] = -1;
        guard_close();
        config_free(cfg);
        return 0;
}
