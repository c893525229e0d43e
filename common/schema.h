/* The schema version and compatibility level a database is at, against the
 * ones this binary was built with (sql/, docs/upgrading.md): a binary serves
 * a schema of its own version or a later one of its own level. */
#ifndef QPAYD_SCHEMA_H
#define QPAYD_SCHEMA_H

#include <stddef.h>

#include "db.h"

struct schema_state {
        int version; /* highest migration applied; 0 when none */
        int level;   /* highest compatibility level among them; 1 before sql/014 */
};

enum schema_fit {
        SCHEMA_CURRENT,          /* exactly this binary's version */
        SCHEMA_NEWER_COMPATIBLE, /* later migrations, same level: serve */
        SCHEMA_PENDING,          /* older than this binary: run qpayd migrate */
        SCHEMA_INCOMPATIBLE,     /* a higher level: upgrade this binary */
};

/* This binary's version and level (build/gen/sql_schema.h). */
struct schema_state schema_built(void);

/* Reads the database's version and level in one statement (it works before
 * and after sql/014). 0, or -1 with *err and db->last_error set; a missing
 * schema_migrations table is DB_ERR_UNDEFINED. */
int schema_read(struct db *db, struct schema_state *out, enum db_err *err);

/* How have fits this binary; reason (may be NULL) gets one line for an
 * operator, "" when current. */
enum schema_fit schema_fit(const struct schema_state *have, char *reason, size_t n);

/* 1 when a binary may work on a schema that fits so. */
int schema_usable(enum schema_fit fit);

/* For the executor, at start and before each pass: 0 when the schema is
 * usable; else -1 after one error log line (the reason, or why it could
 * not be read). */
int schema_require(struct db *db);

/* The SQL of schema_read, for a caller that prepares it (api/statements.c). */
extern const char schema_read_sql[];

#endif
