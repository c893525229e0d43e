#include "schema.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "sql_schema.h"

/* to_jsonb reads compat_level when the column exists (sql/014) and gives
 * NULL before it, so one statement serves every schema version. */
const char schema_read_sql[] = "SELECT coalesce(max(version), 0),\n"
                               "       coalesce(max((to_jsonb(s) ->> 'compat_level')::int), 1)\n"
                               "  FROM schema_migrations s";

struct schema_state
schema_built(void)
{
        return (struct schema_state){.version = SQL_SCHEMA_VERSION, .level = SQL_SCHEMA_LEVEL};
}

int
schema_read(struct db *db, struct schema_state *out, enum db_err *err)
{
        PGresult *r = db_exec_params(db, schema_read_sql, 0, NULL, err);
        if (r == NULL)
                return -1;
        out->version = atoi(PQgetvalue(r, 0, 0));
        out->level = atoi(PQgetvalue(r, 0, 1));
        PQclear(r);
        return 0;
}

enum schema_fit
schema_fit(const struct schema_state *have, char *reason, size_t n)
{
        struct schema_state want = schema_built();
        enum schema_fit fit;
        char buf[160];
        if (have->level > want.level) {
                fit = SCHEMA_INCOMPATIBLE;
                snprintf(buf, sizeof(buf),
                         "database schema %d is at compatibility level %d, this binary at %d: "
                         "upgrade it",
                         have->version, have->level, want.level);
        } else if (have->version < want.version) {
                fit = SCHEMA_PENDING;
                snprintf(buf, sizeof(buf),
                         "migrations pending (schema %d, this binary needs %d): "
                         "run qpayd migrate",
                         have->version, want.version);
        } else if (have->version > want.version) {
                fit = SCHEMA_NEWER_COMPATIBLE;
                snprintf(buf, sizeof(buf), "database schema %d is newer, compatible (level %d)",
                         have->version, have->level);
        } else {
                fit = SCHEMA_CURRENT;
                buf[0] = '\0';
        }
        if (reason != NULL && n > 0)
                snprintf(reason, n, "%s", buf);
        return fit;
}

int
schema_usable(enum schema_fit fit)
{
        return fit == SCHEMA_CURRENT || fit == SCHEMA_NEWER_COMPATIBLE;
}

int
schema_require(struct db *db)
{
        struct schema_state have = {0, 1};
        enum db_err err;
        if (schema_read(db, &have, &err) != 0 && err != DB_ERR_UNDEFINED) {
                log_error("cannot read the schema version; nothing paid", "error", db->last_error);
                return -1;
        }
        char why[160];
        enum schema_fit fit = schema_fit(&have, why, sizeof(why));
        if (!schema_usable(fit)) {
                log_error("database schema not usable; nothing paid", "reason", why);
                return -1;
        }
        return 0;
}
