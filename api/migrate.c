/* Applies the compiled-in migrations (build/gen/sql_embed.c) and sql/roles.sql.
 * docs/database.md describes the procedure for operators. */
#include "migrate.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Session advisory lock held for the whole run, so two `qpayd migrate` (or a
 * migrate and a start-up check) never interleave. The key is "qpayd" in ASCII
 * (0x7170617964). */
#define MIGRATE_LOCK_KEY "487216740708"

/* The first migration recorded with its compatibility level (sql/014). */
#define MIGRATE_LEVELS_SINCE 14

static const char migrate_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                        " version integer PRIMARY KEY,"
                                        " name text NOT NULL,"
                                        " applied_at timestamptz NOT NULL DEFAULT now())";

int
migrate_latest_version(void)
{
        int v = 0;
        for (size_t i = 0; i < migrations_count; i++) {
                if (migrations[i].version > v)
                        v = migrations[i].version;
        }
        return v;
}

int
migrate_current_version(struct db *db, int *version)
{
        enum db_err err;
        *version = 0;
        /* to_regclass answers NULL rather than failing, so this also works
         * inside a caller's transaction. */
        PGresult *res = db_exec_params(db, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0,
                                       NULL, &err);
        if (res == NULL)
                return -1;
        bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        if (!exists)
                return 0;
        res = db_exec_params(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
                             &err);
        if (res == NULL)
                return err == DB_ERR_UNDEFINED ? 0 : -1; /* dropped meanwhile */
        *version = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
}

/* Prefixes db->last_error with what was being done. */
static void
migrate_error(struct db *db, const char *what)
{
        char msg[sizeof(db->last_error)];
        /* Truncated to fit when long; the checked result keeps gcc quiet. */
        if (snprintf(msg, sizeof(msg), "%s: %s", what, db->last_error) < 0)
                return;
        memcpy(db->last_error, msg, sizeof(msg));
}

static bool
migrate_is_applied(PGresult *applied, int version)
{
        for (int r = 0; r < PQntuples(applied); r++) {
                if (atoi(PQgetvalue(applied, r, 0)) == version)
                        return true;
        }
        return false;
}

/* Runs sql (our own compiled-in file) in its own transaction, then, when
 * version > 0, records it. Returns 0 or -1 with the transaction rolled back. */
static int
migrate_apply(struct db *db, const char *sql, int version, int level, const char *name)
{
        enum db_err err;
        if (db_begin(db, &err) != 0)
                return -1;
        /* PQexec of several statements at once: acceptable only because sql is
         * a file of this repository compiled into the binary, never input. */
        if (db_exec(db, sql, &err) != 0)
                goto fail;
        /* A file that commits by itself would escape the transaction. */
        if (PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
                snprintf(db->last_error, sizeof(db->last_error),
                         "must not contain BEGIN, COMMIT or ROLLBACK");
                goto fail;
        }
        if (version > 0) {
                /* compat_level exists from sql/014 on: the earlier rows get
                 * its default, 1. */
                char vbuf[24], lbuf[24];
                const char *params[] = {log_i64(vbuf, version), name, log_i64(lbuf, level)};
                PGresult *res = db_exec_params(
                    db,
                    version >= MIGRATE_LEVELS_SINCE
                        ? "INSERT INTO schema_migrations (version, name, compat_level)"
                          " VALUES ($1, $2, $3)"
                        : "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    version >= MIGRATE_LEVELS_SINCE ? 3 : 2, params, &err);
                if (res == NULL)
                        goto fail;
                PQclear(res);
        }
        if (db_commit(db, &err) != 0)
                goto fail;
        return 0;
fail:
        db_rollback(db);
        return -1;
}

static int
migrate_check_order(struct db *db)
{
        for (size_t i = 0; i < migrations_count; i++) {
                if (migrations[i].version <= 0 ||
                    (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
                        snprintf(db->last_error, sizeof(db->last_error),
                                 "migration %s: version out of order or repeated",
                                 migrations[i].name);
                        return -1;
                }
        }
        return 0;
}

static int
migrate_locked(struct db *db, int *applied)
{
        enum db_err err;
        if (db_exec(db, migrate_table_sql, &err) != 0) {
                migrate_error(db, "schema_migrations");
                return -1;
        }
        PGresult *done = db_exec_params(db, "SELECT version FROM schema_migrations", 0, NULL, &err);
        if (done == NULL) {
                migrate_error(db, "schema_migrations");
                return -1;
        }
        int current = 0;
        for (int r = 0; r < PQntuples(done); r++) {
                int v = atoi(PQgetvalue(done, r, 0));
                current = v > current ? v : current;
        }
        if (current > migrate_latest_version()) {
                char have[24], know[24];
                log_warn("database schema is newer than this program", "database_version",
                         log_i64(have, current), "latest_known",
                         log_i64(know, migrate_latest_version()));
        }
        int rc = 0;
        for (size_t i = 0; i < migrations_count; i++) {
                const struct migration *m = &migrations[i];
                if (migrate_is_applied(done, m->version))
                        continue;
                log_info("applying migration", "name", m->name);
                if (migrate_apply(db, m->sql, m->version, m->level, m->name) != 0) {
                        char what[128];
                        snprintf(what, sizeof(what), "migration %s", m->name);
                        migrate_error(db, what);
                        rc = -1;
                        break;
                }
                (*applied)++;
        }
        PQclear(done);
        if (rc != 0)
                return -1;
        if (migrate_apply(db, migrate_roles_sql, 0, 0, "roles.sql") != 0) {
                migrate_error(db, "roles.sql");
                return -1;
        }
        return 0;
}

int
migrate_run(struct db *db, int *applied)
{
        enum db_err err;
        *applied = 0;
        if (migrate_check_order(db) != 0)
                return -1;
        if (db_ensure(db) != 0)
                return -1;
        if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
                snprintf(db->last_error, sizeof(db->last_error),
                         "migrate: connection is inside a transaction");
                return -1;
        }
        PGresult *res =
            db_exec_params(db, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, &err);
        if (res == NULL)
                return -1;
        bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        if (!got) {
                log_info("another migration is running; waiting for it");
                if (db_exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", &err) != 0)
                        return -1;
        }
        int rc = migrate_locked(db, applied);
        /* Unlocking fails only with the connection, which released the lock. */
        char keep[sizeof(db->last_error)];
        memcpy(keep, db->last_error, sizeof(keep));
        db_exec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", NULL);
        memcpy(db->last_error, keep, sizeof(keep));
        char n[24];
        if (rc == 0) /* the caller reports failures, with last_error */
                log_debug("migrations done", "applied", log_i64(n, *applied));
        return rc;
}
