/* PostgreSQL access over libpq: one struct db per thread. Errors are copied into
 * db->last_error after scrubbing the URL and its password, so they can be logged
 * and returned as they are. */
#include "db.h"

#include <poll.h>

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_BACKOFF_FIRST_MS 100
#define DB_BACKOFF_MAX_MS   5000

struct db_sqlstate {
        const char *code;
        enum db_err err;
};

static const struct db_sqlstate db_sqlstates[] = {
    {"23505", DB_ERR_UNIQUE},         {"23503", DB_ERR_FOREIGN_KEY},
    {"23514", DB_ERR_CHECK},          {"23502", DB_ERR_CHECK},
    {"40001", DB_ERR_SERIALIZATION},  {"40P01", DB_ERR_SERIALIZATION},
    {"55P03", DB_ERR_LOCK_NOT_AVAIL}, {"57014", DB_ERR_QUERY_CANCELED},
    {"57P01", DB_ERR_CONNECTION}, /* admin_shutdown: the server is going away */
    {"57P02", DB_ERR_CONNECTION}, /* crash_shutdown */
    {"57P03", DB_ERR_CONNECTION}, /* cannot_connect_now: starting up */
    {"42P01", DB_ERR_UNDEFINED},      {"42703", DB_ERR_UNDEFINED},
    {"42883", DB_ERR_UNDEFINED},      {"42501", DB_ERR_PRIVILEGE},
};

static const char *const db_err_names[] = {
    [DB_OK] = "ok",
    [DB_ERR_CONNECTION] = "connection",
    [DB_ERR_UNIQUE] = "unique_violation",
    [DB_ERR_FOREIGN_KEY] = "foreign_key_violation",
    [DB_ERR_CHECK] = "check_violation",
    [DB_ERR_SERIALIZATION] = "serialization_failure",
    [DB_ERR_LOCK_NOT_AVAIL] = "lock_not_available",
    [DB_ERR_QUERY_CANCELED] = "query_canceled",
    [DB_ERR_UNDEFINED] = "undefined_object",
    [DB_ERR_PRIVILEGE] = "insufficient_privilege",
    [DB_ERR_OTHER] = "other",
};

static bool
db_sqlstate_valid(const char *s)
{
        for (int i = 0; i < 5; i++) {
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
                        return false;
        }
        return s[5] == '\0';
}

enum db_err
db_err_from_sqlstate(const char *sqlstate)
{
        if (sqlstate == NULL || !db_sqlstate_valid(sqlstate))
                return DB_ERR_OTHER;
        if (strncmp(sqlstate, "08", 2) == 0)
                return DB_ERR_CONNECTION;
        for (size_t i = 0; i < sizeof(db_sqlstates) / sizeof(db_sqlstates[0]); i++) {
                if (strcmp(sqlstate, db_sqlstates[i].code) == 0)
                        return db_sqlstates[i].err;
        }
        return DB_ERR_OTHER;
}

const char *
db_err_name(enum db_err err)
{
        if ((unsigned)err >= sizeof(db_err_names) / sizeof(db_err_names[0]))
                return "unknown";
        return db_err_names[err];
}

bool
db_err_retryable(enum db_err err)
{
        return err == DB_ERR_CONNECTION || err == DB_ERR_SERIALIZATION ||
               err == DB_ERR_LOCK_NOT_AVAIL;
}

/* Replaces every occurrence of needle in buf (size bufsz) with "***". */
static void
db_redact(char *buf, size_t bufsz, const char *needle)
{
        size_t nlen = needle ? strlen(needle) : 0;
        if (nlen == 0)
                return;
        char out[sizeof(((struct db *)0)->last_error)];
        size_t n = 0;
        for (const char *p = buf; *p && n + 1 < sizeof(out);) {
                if (strncmp(p, needle, nlen) == 0) {
                        n += (size_t)snprintf(out + n, sizeof(out) - n, "***");
                        p += nlen;
                } else {
                        out[n++] = *p++;
                }
        }
        out[n < sizeof(out) ? n : sizeof(out) - 1] = '\0';
        snprintf(buf, bufsz, "%s", out);
}

/* Sets db->last_error from msg: one line, without the URL or its password.
 * The URL is parsed again here so the password is never kept apart. */
static void
db_set_error(struct db *db, const char *msg)
{
        char *e = db->last_error;
        if (msg != e) /* else it is already in place */
                snprintf(e, sizeof(db->last_error), "%s",
                         msg && *msg ? msg : "unknown database error");
        /* One line: whitespace runs (libpq's newlines and tabs) become one space. */
        char *w = e;
        for (const char *r = e; *r; r++) {
                bool space = *r == ' ' || *r == '\n' || *r == '\r' || *r == '\t';
                if (space && (w == e || w[-1] == ' '))
                        continue;
                *w++ = space ? ' ' : *r;
        }
        if (w > e && w[-1] == ' ')
                w--;
        *w = '\0';
        if (db->url == NULL)
                return;
        db_redact(e, sizeof(db->last_error), db->url);
        PQconninfoOption *opts = PQconninfoParse(db->url, NULL);
        for (PQconninfoOption *o = opts; o && o->keyword; o++) {
                if (strcmp(o->keyword, "password") == 0)
                        db_redact(e, sizeof(db->last_error), o->val);
        }
        PQconninfoFree(opts);
}

static void
db_notice(void *arg, const char *message)
{
        (void)arg;
        char line[256];
        snprintf(line, sizeof(line), "%s", message);
        line[strcspn(line, "\n")] = '\0';
        log_debug("database notice", "message", line);
}

/* Written once at start, before any thread connects (db_set_limits). */
static struct db_limits db_limits_current = {
    .connect_timeout_seconds = 5,
    .statement_timeout_seconds = 4,
    .query_timeout_seconds = 5,
    .keepalive_seconds = 10,
    .tcp_user_timeout_seconds = 10,
};

void
db_set_limits(const struct db_limits *limits)
{
        db_limits_current = *limits;
}

struct db_limits
db_get_limits(void)
{
        return db_limits_current;
}

struct timespec
db_deadline(void)
{
        struct db_limits l = db_get_limits();
        struct timespec t = {0, 0};
        if (l.query_timeout_seconds > 0) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                t.tv_sec += l.query_timeout_seconds;
        }
        return t;
}

/* Milliseconds from now until t (never negative); -1 when t is {0,0}. */
static int
db_ms_until(const struct timespec *t)
{
        if (t->tv_sec == 0 && t->tv_nsec == 0)
                return -1;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms =
            (long long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
        return ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

int
db_retry_due(const struct db *db)
{
        return db_ms_until(&db->retry_at) <= 0;
}

void
db_retry_later(struct db *db)
{
        clock_gettime(CLOCK_MONOTONIC, &db->retry_at);
        db->retry_at.tv_nsec += (long)(DB_RETRY_MS % 1000) * 1000000L;
        db->retry_at.tv_sec += DB_RETRY_MS / 1000 + db->retry_at.tv_nsec / 1000000000L;
        db->retry_at.tv_nsec %= 1000000000L;
}

/* Keyword arrays for libpq, with room for the numbers they point to. */
struct db_params {
        const char *keys[12], *vals[12];
        char ct[16], idle[16], intvl[16], tut[24], opts[64];
};

/* The limits become connection keywords placed before the URL, so that a
 * value the URL itself sets wins. They are numbers formatted here, never
 * text from the configuration. */
static void
db_params_fill(struct db_params *p, const char *url, bool pooled)
{
        struct db_limits l = db_get_limits();
        int n = 0;
        if (l.connect_timeout_seconds > 0) {
                snprintf(p->ct, sizeof(p->ct), "%d", l.connect_timeout_seconds);
                p->keys[n] = "connect_timeout", p->vals[n++] = p->ct;
        }
        p->keys[n] = "keepalives", p->vals[n++] = l.keepalive_seconds > 0 ? "1" : "0";
        if (l.keepalive_seconds > 0) {
                snprintf(p->idle, sizeof(p->idle), "%d", l.keepalive_seconds);
                snprintf(p->intvl, sizeof(p->intvl), "%d",
                         l.keepalive_seconds >= 3 ? l.keepalive_seconds / 3 : 1);
                p->keys[n] = "keepalives_idle", p->vals[n++] = p->idle;
                p->keys[n] = "keepalives_interval", p->vals[n++] = p->intvl;
                p->keys[n] = "keepalives_count", p->vals[n++] = "3";
        }
        if (l.tcp_user_timeout_seconds > 0) {
                snprintf(p->tut, sizeof(p->tut), "%d", l.tcp_user_timeout_seconds * 1000);
                p->keys[n] = "tcp_user_timeout", p->vals[n++] = p->tut;
        }
        /* PgBouncer refuses the options startup parameter: pooled
         * connections set statement_timeout at each BEGIN (db_begin). */
        if (l.statement_timeout_seconds > 0 && !pooled) {
                snprintf(p->opts, sizeof(p->opts), "-c statement_timeout=%ds",
                         l.statement_timeout_seconds);
                p->keys[n] = "options", p->vals[n++] = p->opts;
        }
        p->keys[n] = "dbname", p->vals[n++] = url;
        p->keys[n] = "fallback_application_name", p->vals[n++] = program_invocation_short_name;
        p->keys[n] = NULL, p->vals[n] = NULL;
}

static PGconn *
db_connect(const char *url, bool pooled)
{
        struct db_params p;
        db_params_fill(&p, url, pooled);
        PGconn *conn = PQconnectdbParams(p.keys, p.vals, 1);
        /* Nonblocking: a send never waits on a full socket, the deadline's
         * poll() does the waiting. */
        if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
                PQsetnonblocking(conn, 1);
        return conn;
}

int
db_connect_start(struct db *db)
{
        if (db->url == NULL) {
                db_set_error(db, "database not open");
                return -1;
        }
        struct db_params p;
        db_params_fill(&p, db->url, db->pooled);
        db->conn = PQconnectStartParams(p.keys, p.vals, 1);
        if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
                db_connect_failed(db, NULL);
                return -1;
        }
        PQsetNoticeProcessor(db->conn, db_notice, NULL);
        return 0;
}

void
db_connect_failed(struct db *db, const char *why)
{
        db_set_error(db, why != NULL        ? why
                         : db->conn != NULL ? PQerrorMessage(db->conn)
                                            : "out of memory");
        db->last_timed_out = why != NULL && strstr(why, "timed out") != NULL;
        if (db->conn != NULL)
                PQfinish(db->conn);
        db->conn = NULL;
        db_retry_later(db);
}

static PGresult *db_await(struct db *db, int sent, enum db_err *err);

/* Per-session state, run after every (re)connect: UTC, so date(now()) is the
 * UTC day of the payout ledger and timestamps print the same everywhere; then
 * every statement prepared. Each step is bounded by the query deadline.
 * Through a transaction pooler only the time zone is set: PgBouncer keeps
 * TimeZone per client (it is a reported parameter) and sets it on whichever
 * server connection serves the client; anything else would stay behind on
 * one server connection, so db_begin sets it per transaction instead. */
static int
db_setup_session(struct db *db)
{
        PQsetNoticeProcessor(db->conn, db_notice, NULL);
        enum db_err err;
        if (db_exec(db, "SET TIME ZONE 'UTC'", &err) != 0)
                return -1;
        if (db->pooled)
                return 0;
        if (db->session_sql != NULL && db_exec(db, db->session_sql, &err) != 0)
                return -1;
        for (size_t i = 0; i < db->nstmts; i++) {
                const struct db_stmt *s = &db->stmts[i];
                PGresult *res =
                    db_await(db, PQsendPrepare(db->conn, s->name, s->sql, s->nparams, NULL), &err);
                if (res == NULL) {
                        char msg[sizeof(db->last_error) + 80];
                        snprintf(msg, sizeof(msg), "prepare %.64s: %s", s->name, db->last_error);
                        db_set_error(db, msg);
                        log_error("database prepare failed", "statement", s->name, "error",
                                  db->last_error);
                        return -1;
                }
                PQclear(res);
        }
        return 0;
}

/* Connects once and sets the session up. 0; -1 when the connection failed
 * (or broke during the setup); -2 when the setup failed on a good connection
 * (a statement that does not prepare will not on retry either). On failure
 * db->conn is NULL and the backoff has started. */
static int
db_connect_once(struct db *db)
{
        db->conn = db_connect(db->url, db->pooled);
        int rc = -1;
        if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
                db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
                /* libpq says "timeout expired" when connect_timeout passed. */
                db->last_timed_out = strstr(db->last_error, "timeout expired") != NULL;
        } else if (db_setup_session(db) == 0) {
                db->last_timed_out = false;
                db->was_connected = true;
                return 0;
        } else if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
                rc = -2;
        }
        if (db->conn != NULL)
                PQfinish(db->conn);
        db->conn = NULL;
        db_retry_later(db);
        return rc;
}

static void
db_sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

int
db_open(struct db *db, const char *url, const struct db_stmt *stmts, size_t nstmts, int attempts)
{
        return db_open_session(db, url, NULL, stmts, nstmts, attempts);
}

int
db_init(struct db *db, const char *url, const char *session_sql, const struct db_stmt *stmts,
        size_t nstmts)
{
        memset(db, 0, sizeof(*db));
        db->pooled = db_get_limits().transaction_pooling;
        db->session_sql = session_sql;
        db->stmts = stmts;
        db->nstmts = nstmts;
        /* libpq's parse errors quote the URL, password included: say less. */
        char *perr = NULL;
        PQconninfoOption *opts = url ? PQconninfoParse(url, &perr) : NULL;
        PQfreemem(perr);
        if (opts == NULL) {
                db_set_error(db, "invalid database URL");
                return -1;
        }
        PQconninfoFree(opts);
        db->url = strdup(url);
        if (db->url == NULL) {
                db_set_error(db, "out of memory");
                return -1;
        }
        db_set_error(db, "database not connected");
        return 0;
}

/* Connects an initialised db, up to attempts times with backoff. */
static int
db_open_attempts(struct db *db, int attempts)
{
        if (attempts < 1)
                attempts = 1;
        long delay = DB_BACKOFF_FIRST_MS;
        for (int i = 1; i <= attempts; i++) {
                int rc = db_connect_once(db);
                if (rc == 0)
                        return 0;
                if (rc == -2)
                        break;
                char try[24], of[24];
                log_warn("database connection failed", "attempt", log_i64(try, i), "of",
                         log_i64(of, attempts), "error", db->last_error);
                if (i < attempts) {
                        db_sleep_ms(delay);
                        delay = delay * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : delay * 2;
                }
        }
        char keep[sizeof(db->last_error)];
        memcpy(keep, db->last_error, sizeof(keep));
        db_close(db);
        memcpy(db->last_error, keep, sizeof(keep));
        return -1;
}

int
db_open_session(struct db *db, const char *url, const char *session_sql,
                const struct db_stmt *stmts, size_t nstmts, int attempts)
{
        if (db_init(db, url, session_sql, stmts, nstmts) != 0)
                return -1;
        return db_open_attempts(db, attempts);
}

int
db_open_direct(struct db *db, const char *url, int attempts)
{
        if (db_init(db, url, NULL, NULL, 0) != 0)
                return -1;
        db->pooled = false;
        return db_open_attempts(db, attempts);
}

const struct db_stmt *
db_stmt_find(const struct db *db, const char *name)
{
        for (size_t i = 0; i < db->nstmts; i++)
                if (strcmp(db->stmts[i].name, name) == 0)
                        return &db->stmts[i];
        return NULL;
}

void
db_close(struct db *db)
{
        if (db->conn)
                PQfinish(db->conn);
        free(db->url);
        memset(db, 0, sizeof(*db));
}

/* Reads whatever the server sent an idle connection (a FATAL message, then
 * EOF) while the socket stays readable; never blocks. False once libpq has
 * seen the connection close. */
static int
db_idle_alive(PGconn *conn)
{
        if (PQtransactionStatus(conn) != PQTRANS_IDLE)
                return 1;
        for (int i = 0; i < 4; i++) {
                struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
                if (p.fd < 0 || poll(&p, 1, 0) <= 0)
                        break;
                if (PQconsumeInput(conn) == 0)
                        return 0;
        }
        return PQstatus(conn) == CONNECTION_OK;
}

int
db_ensure(struct db *db)
{
        /* An idle connection the server closed (restart, pg_terminate_backend)
         * still reports CONNECTION_OK until it is read: read what is pending,
         * without blocking, so the loss is noticed here rather than by the
         * next statement. */
        if (db->conn && PQstatus(db->conn) == CONNECTION_OK && db_idle_alive(db->conn))
                return 0;
        if (db->url == NULL) {
                db_set_error(db, "database not open");
                return -1;
        }
        /* Never PQreset: it reconnects without the connect_timeout our own
         * connect sets up, and a new connection costs the same. */
        if (db->conn != NULL) {
                log_warn("database connection lost; reconnecting");
                PQfinish(db->conn);
                db->conn = NULL;
        }
        if (!db_retry_due(db))
                return -1; /* last_error still says why */
        bool again = db->was_connected;
        if (db_connect_once(db) != 0) {
                log_warn(again ? "database reconnect failed" : "database connection failed",
                         "error", db->last_error);
                return -1;
        }
        if (again)
                log_info("database reconnected");
        return 0;
}

/* Waits until conn's socket is ready for events or deadline passes: 1
 * ready, 0 timed out, -1 poll failed. */
static int
db_poll(PGconn *conn, short events, const struct timespec *deadline)
{
        for (;;) {
                struct pollfd p = {.fd = PQsocket(conn), .events = events};
                if (p.fd < 0)
                        return -1;
                int rc = poll(&p, 1, db_ms_until(deadline));
                if (rc > 0)
                        return 1;
                if (rc == 0)
                        return 0;
                if (errno != EINTR)
                        return -1;
        }
}

/* The deadline passed: the connection is given up, not cancelled (a stuck
 * server would not answer the cancel either) nor reset (a reconnect waits
 * for the backoff and connect_timeout instead). */
static PGresult *
db_timed_out(struct db *db, PGresult *partial, enum db_err *err)
{
        PQclear(partial);
        PQfinish(db->conn);
        db->conn = NULL;
        db_retry_later(db);
        char msg[96];
        snprintf(msg, sizeof(msg), "database call timed out after %d s; connection dropped",
                 db_get_limits().query_timeout_seconds);
        db_set_error(db, msg);
        db->last_timed_out = true;
        snprintf(db->last_constraint, sizeof(db->last_constraint), "%s", "");
        db->last_sqlstate[0] = '\0';
        *err = DB_ERR_CONNECTION;
        log_warn("database call timed out", "error", db->last_error);
        return NULL;
}

static PGresult *db_check(struct db *db, PGresult *res, enum db_err *err);

static bool
db_result_failed(const PGresult *r)
{
        ExecStatusType st = PQresultStatus(r);
        return st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
}

/* Finishes a call whose query was sent (sent: what PQsend* returned):
 * flushes it, waits for its results within the query deadline, and returns
 * what PQexec would (the first failed result, else the last) through
 * db_check. */
static PGresult *
db_await(struct db *db, int sent, enum db_err *err)
{
        if (sent != 1)
                return db_check(db, NULL, err);
        struct timespec deadline = db_deadline();
        PGconn *conn = db->conn;
        int f;
        while ((f = PQflush(conn)) == 1) {
                int w = db_poll(conn, POLLOUT | POLLIN, &deadline);
                if (w == 0)
                        return db_timed_out(db, NULL, err);
                /* libpq reads while it writes, so that the server never
                 * stalls on a full output buffer. */
                if (w < 0 || PQconsumeInput(conn) == 0)
                        break;
        }
        if (f < 0)
                return db_check(db, NULL, err);
        PGresult *keep = NULL;
        for (;;) {
                while (PQisBusy(conn)) {
                        int w = db_poll(conn, POLLIN, &deadline);
                        if (w == 0)
                                return db_timed_out(db, keep, err);
                        if (w < 0 || PQconsumeInput(conn) == 0)
                                break; /* PQgetResult reports the broken connection */
                }
                PGresult *r = PQgetResult(conn);
                if (r == NULL)
                        break;
                if (keep != NULL && db_result_failed(keep)) {
                        PQclear(r);
                } else {
                        PQclear(keep);
                        keep = r;
                }
                if (PQstatus(conn) == CONNECTION_BAD)
                        break;
        }
        return db_check(db, keep, err);
}

/* Returns res when it succeeded; otherwise clears it, sets *err and last_error. */
static PGresult *
db_check(struct db *db, PGresult *res, enum db_err *err)
{
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                *err = DB_OK;
                return res;
        }
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
        snprintf(db->last_constraint, sizeof(db->last_constraint), "%s",
                 constraint ? constraint : "");
        snprintf(db->last_sqlstate, sizeof(db->last_sqlstate), "%s",
                 state && db_sqlstate_valid(state) ? state : "");
        bool failed = st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR;
        if (res == NULL || PQstatus(db->conn) != CONNECTION_OK)
                *err = DB_ERR_CONNECTION;
        else
                *err = failed ? db_err_from_sqlstate(state) : DB_ERR_OTHER;
        if (primary)
                db_set_error(db, primary);
        else if (failed || res == NULL)
                db_set_error(db, PQerrorMessage(db->conn));
        else
                db_set_error(db, PQresStatus(st)); /* e.g. PGRES_EMPTY_QUERY */
        if (*err == DB_ERR_CONNECTION)
                log_warn("database connection error", "error", db->last_error);
        else
                log_debug("database error", "sqlstate", state, "error", db->last_error);
        PQclear(res);
        return NULL;
}

static bool
db_usable(struct db *db, enum db_err *err)
{
        if (db->conn)
                return true;
        *err = DB_ERR_CONNECTION;
        db_set_error(db, "database not connected");
        return false;
}

PGresult *
db_exec_prepared(struct db *db, const char *name, int nparams, const char *const *params,
                 enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return NULL;
        if (db->pooled) {
                const struct db_stmt *st = db_stmt_find(db, name);
                if (st == NULL) {
                        *err = DB_ERR_OTHER;
                        db_set_error(db, "unknown statement");
                        return NULL;
                }
                return db_await(
                    db, PQsendQueryParams(db->conn, st->sql, nparams, NULL, params, NULL, NULL, 0),
                    err);
        }
        return db_await(db, PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL, 0),
                        err);
}

PGresult *
db_exec_params(struct db *db, const char *sql, int nparams, const char *const *params,
               enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return NULL;
        return db_await(db, PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
                        err);
}

int
db_exec(struct db *db, const char *sql, enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return -1;
        PGresult *res = db_await(db, PQsendQuery(db->conn, sql), err);
        PQclear(res);
        return res ? 0 : -1;
}

int
db_begin(struct db *db, enum db_err *err)
{
        if (!db->pooled)
                return db_exec(db, "BEGIN", err);
        /* One round trip: what a session would have set, for this
         * transaction only. session_sql is "SET name = value" (db.h). */
        char sql[256];
        int n = snprintf(sql, sizeof(sql), "BEGIN");
        int st = db_get_limits().statement_timeout_seconds;
        if (st > 0)
                n += snprintf(sql + n, sizeof(sql) - (size_t)n,
                              "; SET LOCAL statement_timeout = '%ds'", st);
        const char *ss = db->session_sql;
        if (ss != NULL && strncmp(ss, "SET ", 4) == 0 && (size_t)n < sizeof(sql))
                n += snprintf(sql + n, sizeof(sql) - (size_t)n, "; SET LOCAL %s", ss + 4);
        if ((size_t)n >= sizeof(sql)) {
                enum db_err dummy;
                *(err ? err : &dummy) = DB_ERR_OTHER;
                db_set_error(db, "session SQL too long");
                return -1;
        }
        return db_exec(db, sql, err);
}

int
db_commit(struct db *db, enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return -1;
        PGresult *res = db_await(db, PQsendQuery(db->conn, "COMMIT"), err);
        if (res == NULL)
                return -1;
        /* COMMIT of a transaction that already failed succeeds as a ROLLBACK. */
        bool rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
        PQclear(res);
        if (rolled_back) {
                *err = DB_ERR_OTHER;
                db_set_error(db, "transaction had failed; COMMIT rolled it back");
                return -1;
        }
        return 0;
}

void
db_rollback(struct db *db)
{
        if (db->conn == NULL)
                return;
        PGTransactionStatusType ts = PQtransactionStatus(db->conn);
        if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
                return;
        enum db_err err;
        db_exec(db, "ROLLBACK", &err); /* bounded like any call; a failure drops nothing */
}
