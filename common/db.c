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

static PGconn *
db_connect(const char *url)
{
        const char *const keys[] = {"dbname", "fallback_application_name", NULL};
        const char *const vals[] = {url, program_invocation_short_name, NULL};
        return PQconnectdbParams(keys, vals, 1);
}

/* Per-session state, run after every (re)connect: UTC, so date(now()) is the
 * UTC day of the payout ledger and timestamps print the same everywhere; then
 * every statement prepared. */
static int
db_setup_session(struct db *db)
{
        PQsetNoticeProcessor(db->conn, db_notice, NULL);
        PGresult *res = PQexec(db->conn, "SET TIME ZONE 'UTC'");
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
                db_set_error(db, PQerrorMessage(db->conn));
        PQclear(res);
        if (ok && db->session_sql != NULL) {
                res = PQexec(db->conn, db->session_sql);
                ok = PQresultStatus(res) == PGRES_COMMAND_OK;
                if (!ok)
                        db_set_error(db, PQerrorMessage(db->conn));
                PQclear(res);
        }
        for (size_t i = 0; ok && i < db->nstmts; i++) {
                const struct db_stmt *s = &db->stmts[i];
                res = PQprepare(db->conn, s->name, s->sql, s->nparams, NULL);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                        char msg[sizeof(db->last_error)];
                        const char *primary =
                            res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
                        snprintf(msg, sizeof(msg), "prepare %s: %s", s->name,
                                 primary ? primary : PQerrorMessage(db->conn));
                        db_set_error(db, msg);
                        log_error("database prepare failed", "statement", s->name, "error",
                                  db->last_error);
                        ok = false;
                }
                PQclear(res);
        }
        return ok ? 0 : -1;
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
db_open_session(struct db *db, const char *url, const char *session_sql,
                const struct db_stmt *stmts, size_t nstmts, int attempts)
{
        memset(db, 0, sizeof(*db));
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
        if (attempts < 1)
                attempts = 1;
        long delay = DB_BACKOFF_FIRST_MS;
        for (int i = 1; i <= attempts; i++) {
                db->conn = db_connect(db->url);
                if (db->conn && PQstatus(db->conn) == CONNECTION_OK) {
                        if (db_setup_session(db) == 0)
                                return 0;
                        /* A statement that does not prepare will not on retry either,
                         * unless the connection itself broke. */
                        if (PQstatus(db->conn) == CONNECTION_OK)
                                break;
                } else {
                        db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
                }
                char try[24], of[24];
                log_warn("database connection failed", "attempt", log_i64(try, i), "of",
                         log_i64(of, attempts), "error", db->last_error);
                PQfinish(db->conn);
                db->conn = NULL;
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
        log_warn("database connection lost; reconnecting");
        if (db->conn)
                PQreset(db->conn);
        else
                db->conn = db_connect(db->url);
        if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
                db_set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
                log_warn("database reconnect failed", "error", db->last_error);
                return -1;
        }
        if (db_setup_session(db) != 0) {
                /* Unprepared statements would fail later and obscurely: drop the
                 * connection so the next call starts over. */
                PQfinish(db->conn);
                db->conn = NULL;
                return -1;
        }
        log_info("database reconnected");
        return 0;
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
        return db_check(db, PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0), err);
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
        return db_check(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0), err);
}

int
db_exec(struct db *db, const char *sql, enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return -1;
        PGresult *res = db_check(db, PQexec(db->conn, sql), err);
        PQclear(res);
        return res ? 0 : -1;
}

int
db_begin(struct db *db, enum db_err *err)
{
        return db_exec(db, "BEGIN", err);
}

int
db_commit(struct db *db, enum db_err *err)
{
        enum db_err dummy;
        if (err == NULL)
                err = &dummy;
        if (!db_usable(db, err))
                return -1;
        PGresult *res = db_check(db, PQexec(db->conn, "COMMIT"), err);
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
        PQclear(PQexec(db->conn, "ROLLBACK"));
}
