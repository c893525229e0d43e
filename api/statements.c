#include "statements.h"

const struct db_stmt statements[] = {
    {STMT_SCHEMA_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0},
};
const size_t statements_count = sizeof(statements) / sizeof(statements[0]);
