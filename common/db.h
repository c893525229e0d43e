/* PostgreSQL access: connections with bounded retry, prepared statements,
 * transactions, and SQLSTATEs mapped to codes callers branch on. */
#ifndef QPAYD_DB_H
#define QPAYD_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

enum db_err {
        DB_OK = 0,
        DB_ERR_CONNECTION,     /* class 08, 57P01-57P03, or the connection is gone */
        DB_ERR_UNIQUE,         /* 23505 unique_violation */
        DB_ERR_FOREIGN_KEY,    /* 23503 */
        DB_ERR_CHECK,          /* 23514 check_violation, 23502 not_null */
        DB_ERR_SERIALIZATION,  /* 40001 serialization_failure, 40P01 deadlock */
        DB_ERR_LOCK_NOT_AVAIL, /* 55P03 lock_not_available */
        DB_ERR_QUERY_CANCELED, /* 57014 (statement_timeout) */
        DB_ERR_UNDEFINED,      /* 42P01/42703/42883: schema not migrated */
        DB_ERR_PRIVILEGE,      /* 42501 insufficient_privilege */
        DB_ERR_OTHER,
};

/* Maps a five-character SQLSTATE (NULL allowed) to a db_err. NULL or anything
 * that is not a SQLSTATE gives DB_ERR_OTHER; the db_exec functions report
 * DB_ERR_CONNECTION themselves when there is no result or the connection broke. */
enum db_err db_err_from_sqlstate(const char *sqlstate);
const char *db_err_name(enum db_err err);
/* True when retrying the whole transaction may succeed (connection,
 * serialization, lock_not_available). A connection lost during COMMIT leaves
 * the outcome unknown: retry only work that is idempotent. */
bool db_err_retryable(enum db_err err);

/* Bounds on every connection and call, process-wide ([database] keys). 0
 * turns one off. */
struct db_limits {
        int connect_timeout_seconds;   /* libpq connect_timeout: one connection attempt */
        int statement_timeout_seconds; /* server side: the session's statement_timeout */
        int query_timeout_seconds;     /* client side: the wait for any one call */
        int keepalive_seconds;         /* TCP keepalive idle time (probes every third of it) */
        int tcp_user_timeout_seconds;  /* unacknowledged data drops the connection */
        /* [database] pooler = "transaction": the connections go through a
         * pooler (PgBouncer) that hands each transaction a server connection
         * of its own, so no state may outlive a transaction: statements are
         * sent unnamed, statement_timeout and the session SQL are set LOCAL
         * at each BEGIN, nothing is passed in the startup options. Direct
         * connections (db_open_direct) are not affected. */
        bool transaction_pooling;
};

/* Sets the limits for connections opened and calls made from now on. Call
 * before any thread uses the database; until then connect 5 s, statement
 * 4 s, query 5 s, keepalive 10 s, tcp_user_timeout 10 s apply. */
void db_set_limits(const struct db_limits *limits);
/* The limits in force (a copy). */
struct db_limits db_get_limits(void);

/* One statement prepared on every connection under a fixed name. */
struct db_stmt {
        const char *name;
        const char *sql;
        int nparams;
};

struct db {
        PGconn *conn;
        char *url;                   /* owned */
        const struct db_stmt *stmts; /* borrowed, prepared after each (re)connect */
        size_t nstmts;
        const char *session_sql;  /* borrowed; run after each (re)connect, or NULL */
        char last_error[256];     /* last error, safe to show: no secret */
        char last_constraint[64]; /* the constraint the last error names, or "" */
        char last_sqlstate[6];    /* the server's SQLSTATE of the last error, or "" */
        bool last_timed_out;      /* the last failure was a deadline (query or connect) */
        bool was_connected;       /* connected once: a later connect is a reconnect */
        bool pooled;              /* transaction pooling (db_limits) applies to this one */
        struct timespec retry_at; /* CLOCK_MONOTONIC: no reconnect before this */
};

/* Connects to url (postgresql:// URL or key=value string), retrying up to
 * attempts times with exponential backoff (100 ms doubling, at most 5 s between
 * tries). Prepares stmts. Returns 0 or -1 with db->last_error set (the URL's
 * password is never included; db_close stays safe to call). Every session runs
 * with TimeZone UTC, so now()::date is the UTC day. */
int db_open(struct db *db, const char *url, const struct db_stmt *stmts, size_t nstmts,
            int attempts);
/* db_open, then session_sql (literal SQL such as "SET lock_timeout = '5s'")
 * on this and every later connection, before the statements are prepared.
 * Under transaction pooling it runs at each db_begin instead, as SET LOCAL:
 * it must be one "SET name = value". */
int db_open_session(struct db *db, const char *url, const char *session_sql,
                    const struct db_stmt *stmts, size_t nstmts, int attempts);
/* Prepares db for url without connecting (db_ensure connects): 0, or -1
 * with last_error set when the URL does not parse or memory is short. */
int db_init(struct db *db, const char *url, const char *session_sql, const struct db_stmt *stmts,
            size_t nstmts);
/* Opens a session connection straight to PostgreSQL (never through the
 * pooler, whatever transaction_pooling says), without statements: for
 * LISTEN, session advisory locks and migrations. url is the direct URL
 * ([database] listen_url_env, config_db_direct_url). */
int db_open_direct(struct db *db, const char *url, int attempts);
void db_close(struct db *db);
/* The SQL text of the statement named name among db's, or NULL. */
const struct db_stmt *db_stmt_find(const struct db *db, const char *name);
/* Reconnects once if the connection is bad; 0 when usable. After a failed
 * reconnect or a timeout it does not try again for DB_RETRY_MS: until then
 * it fails at once (last_error keeps the cause), so that callers answer
 * quickly instead of each waiting for connect_timeout. */
int db_ensure(struct db *db);
/* 1 when a reconnect may be tried now (the backoff after a failure is
 * over); db_ensure and the pipelined connections (api/dbq.c) share it. */
int db_retry_due(const struct db *db);
/* For a caller that drives the connection itself (api/dbq.c, on an event
 * loop): starts a nonblocking attempt with the same keywords as db_ensure
 * (PQconnectStartParams; the caller polls it with PQconnectPoll and bounds
 * it by connect_timeout, which libpq does not for a polled attempt). 0 with
 * db->conn set, or -1 after db_connect_failed. */
int db_connect_start(struct db *db);
/* Ends a failed attempt: last_error from why (NULL: libpq's message),
 * db->conn closed and NULL, backoff started. */
void db_connect_failed(struct db *db, const char *why);
/* Starts the backoff: no reconnect for DB_RETRY_MS. */
void db_retry_later(struct db *db);
/* The monotonic time query_timeout_seconds from now (ms precision); {0,0}
 * when there is no query timeout. */
struct timespec db_deadline(void);

#define DB_RETRY_MS 1000

/* Every call below sends its statement and waits for the answer at most
 * query_timeout_seconds. When that passes, the connection is closed (never
 * cancelled or reset: a stuck server would not answer that either) and the
 * call fails with DB_ERR_CONNECTION, last_error saying it timed out and
 * last_timed_out set. Whether a COMMIT that timed out took effect is then
 * unknown, as for any connection lost during COMMIT. */

/* Runs a prepared statement by name with text parameters (under transaction
 * pooling, its text unnamed: the same answer, one parse more). Returns the result
 * (caller PQclear's it) when its status is COMMAND_OK or TUPLES_OK; otherwise
 * NULL with *err set and db->last_error filled (the server's primary message).
 * Here and below err may be NULL. */
PGresult *db_exec_prepared(struct db *db, const char *name, int nparams, const char *const *params,
                           enum db_err *err);
/* Runs one statement that is not prepared, with text parameters ($1...), as
 * db_exec_prepared does. For statements run once (migrations, admin commands). */
PGresult *db_exec_params(struct db *db, const char *sql, int nparams, const char *const *params,
                         enum db_err *err);
/* Runs literal SQL without parameters (BEGIN, COMMIT, migrations). */
int db_exec(struct db *db, const char *sql, enum db_err *err);
/* BEGIN; under transaction pooling also SET LOCAL statement_timeout and the
 * session SQL, in the same round trip. */
int db_begin(struct db *db, enum db_err *err);
int db_commit(struct db *db, enum db_err *err);
/* Rolls back; safe to call in any state, never fails the caller. */
void db_rollback(struct db *db);

#endif
