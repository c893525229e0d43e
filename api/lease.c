#include "lease.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* pg_try_advisory_lock(bigint): one key for all of receiving (the phoenixd
 * poller and the on-chain watcher poll the same backends of the same stores,
 * so one instance does both). qpayd migrate holds 487216740708. */
#define LEASE_KEY "487216740709"

/* The confirmation's own deadline, and its age when the next is due: a
 * holder stops at most 2 s after the server last heard from it. */
#define LEASE_CHECK_MS 1000
#define LEASE_FRESH_MS 1000

/* The server drops this session when the holder goes silent: data
 * unacknowledged for 3 s, or 2 s idle then 2 keepalive probes 1 s apart
 * unanswered. Both are later than the holder's own 2 s, so a partitioned
 * holder has stopped before the lock is free; a standby then takes it within
 * a second (its round). One statement: the session SQL is sent as one. */
#define LEASE_SESSION_SQL                                                                          \
        "SELECT set_config('tcp_user_timeout', '3000', false),"                                    \
        " set_config('tcp_keepalives_idle', '2', false),"                                          \
        " set_config('tcp_keepalives_interval', '1', false),"                                      \
        " set_config('tcp_keepalives_count', '2', false),"                                         \
        " set_config('application_name', 'qpayd receive lease', false)"

static atomic_int lease_current = LEASE_OFF;

const char *
lease_url(const struct config *cfg)
{
        /* A session lock: never through a transaction pooler (config.c
         * refuses receive = true under one without listen_url_env). */
        const char *url = config_db_direct_url(cfg);
        return url != NULL ? url : cfg->database_url;
}

enum lease_role
lease_role(void)
{
        return (enum lease_role)atomic_load(&lease_current);
}

const char *
lease_role_name(enum lease_role role)
{
        return role == LEASE_LEADER ? "leader" : role == LEASE_STANDBY ? "standby" : "off";
}

int
lease_init(struct lease *l, const char *url)
{
        memset(l, 0, sizeof(*l));
        l->url = strdup(url);
        if (l->url == NULL)
                return -1;
        atomic_store(&lease_current, LEASE_STANDBY);
        return 0;
}

void
lease_free(struct lease *l)
{
        db_close(&l->db);
        free(l->url);
        memset(l, 0, sizeof(*l));
        atomic_store(&lease_current, LEASE_OFF);
}

static long
lease_ms_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Waits for events on the connection's socket until LEASE_CHECK_MS after
 * start. 1 when ready, 0 when the deadline passed or the socket failed. */
static int
lease_wait(PGconn *c, short events, const struct timespec *start)
{
        long left = LEASE_CHECK_MS - lease_ms_since(start);
        if (left <= 0)
                return 0;
        struct pollfd pfd = {.fd = PQsocket(c), .events = events};
        return poll(&pfd, 1, (int)left) > 0 && !(pfd.revents & (POLLERR | POLLNVAL));
}

/* Runs sql (one row, one column) within LEASE_CHECK_MS of its own, not the
 * [database] query timeout: the fence must fail fast. 0 with *yes set to
 * whether the value is true, or -1 with why. */
static int
lease_query(struct lease *l, const char *sql, int *yes, const char **why)
{
        PGconn *c = l->db.conn;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        *why = "connection lost";
        if (c == NULL || PQstatus(c) != CONNECTION_OK || !PQsendQuery(c, sql))
                return -1;
        int f;
        while ((f = PQflush(c)) == 1)
                if (!lease_wait(c, POLLOUT | POLLIN, &start) || !PQconsumeInput(c))
                        goto late;
        if (f < 0)
                return -1;
        while (PQisBusy(c)) {
                if (!lease_wait(c, POLLIN, &start))
                        goto late;
                if (!PQconsumeInput(c))
                        return -1;
        }
        int rc = -1;
        PGresult *r;
        while ((r = PQgetResult(c)) != NULL) {
                if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                    PQnfields(r) == 1) {
                        *yes = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
                        rc = 0;
                } else {
                        *why = "query failed";
                }
                PQclear(r);
        }
        return rc;
late:
        *why = "no answer within a second";
        return -1;
}

/* Lets go of the lease: closing the connection releases the lock as soon
 * as the server sees it close. */
static void
lease_drop(struct lease *l)
{
        db_close(&l->db);
        l->held = false;
        atomic_store(&lease_current, LEASE_STANDBY);
}

/* Without waiting: 0 when the idle connection has closed (the server
 * ended the session: its lock is free already). An idle session is sent
 * nothing but its end (a FATAL message, then EOF), or rarely a parameter
 * status; each look reads what came. */
static int
lease_open(PGconn *c)
{
        for (int i = 0; i < 2; i++) {
                struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
                if (poll(&pfd, 1, 0) <= 0)
                        break;
                if (!PQconsumeInput(c))
                        return 0;
        }
        return PQstatus(c) == CONNECTION_OK;
}

/* Confirms a held lease. 1, or 0 after letting it go. */
static int
lease_confirm(struct lease *l)
{
        if (!lease_open(l->db.conn)) {
                log_warn("receive lease lost: this instance stops receiving", "reason",
                         "the database ended the session");
                lease_drop(l);
                return 0;
        }
        if (lease_ms_since(&l->confirmed) < LEASE_FRESH_MS)
                return 1;
        struct timespec sent;
        clock_gettime(CLOCK_MONOTONIC, &sent);
        int yes = 0;
        const char *why;
        if (lease_query(l, "SELECT true", &yes, &why) == 0) {
                l->confirmed = sent;
                return 1;
        }
        log_warn("receive lease lost: this instance stops receiving", "reason", why);
        lease_drop(l);
        return 0;
}

int
lease_hold(struct lease *l)
{
        if (l->held)
                return lease_confirm(l);
        if (l->db.conn == NULL &&
            db_open_session(&l->db, l->url, LEASE_SESSION_SQL, NULL, 0, 1) != 0) {
                log_debug("receive lease: no connection", "error", l->db.last_error);
                db_close(&l->db);
                return 0;
        }
        struct timespec sent;
        clock_gettime(CLOCK_MONOTONIC, &sent);
        int yes = 0;
        const char *why;
        if (lease_query(l, "SELECT pg_try_advisory_lock(" LEASE_KEY ")", &yes, &why) != 0) {
                log_debug("receive lease: no answer", "reason", why);
                lease_drop(l);
                return 0;
        }
        if (!yes)
                return 0; /* another instance receives */
        l->held = true;
        l->confirmed = sent;
        atomic_store(&lease_current, LEASE_LEADER);
        log_info("receive lease taken: this instance receives");
        return 1;
}
