/* Schema migrations from sql/NNN_name.sql, compiled into the binaries. */
#ifndef QPAYD_MIGRATE_H
#define QPAYD_MIGRATE_H

#include "db.h"

struct migration {
        int version;
        int level;        /* compatibility level ("-- compat_level: N", else 1) */
        const char *name; /* file name, e.g. "001_schema.sql" */
        const char *sql;
};

/* Generated from sql/ at build time (build/gen/sql_embed.c). */
extern const struct migration migrations[];
extern const size_t migrations_count;
extern const char migrate_roles_sql[]; /* sql/roles.sql */

/* The highest version this binary knows. */
int migrate_latest_version(void);
/* Reads the applied version (0 when nothing is applied). Returns 0 or -1. */
int migrate_current_version(struct db *db, int *version);
/* Applies every pending migration in order, each in its own transaction,
 * under a session advisory lock so concurrent runs are safe, then applies
 * sql/roles.sql. *applied is the number of migrations applied. 0 or -1 with
 * db->last_error naming the failing migration. */
int migrate_run(struct db *db, int *applied);

#endif
