/* Every SQL statement qpayd serve runs, prepared on each worker connection. */
#ifndef QPAYD_API_STATEMENTS_H
#define QPAYD_API_STATEMENTS_H

#include "db.h"

#define STMT_SCHEMA_VERSION "schema_version"

extern const struct db_stmt statements[];
extern const size_t statements_count;

#endif
