/* Every SQL statement qpayd-executor runs, prepared on its connection. The
 * executor's role (sql/roles.sql, qpayd_executor) can read these tables. */
#ifndef QPAYD_EXECUTOR_QUERIES_H
#define QPAYD_EXECUTOR_QUERIES_H

#include "db.h"

#define Q_CANDIDATES "x_candidates"
#define Q_DAY_TOTALS "x_day_totals"

/* Columns of Q_CANDIDATES. */
enum candidate_col {
        CAND_ID,
        CAND_AMOUNT,
        CAND_DEST,
        CAND_DEST_TYPE,
        CAND_BACKEND,
        CAND_APPROVAL,
        CAND_INVOICE_PAID,
        CAND_INVOICE_OTHER,
};

extern const struct db_stmt executor_queries[];
extern const size_t executor_queries_count;

#endif
