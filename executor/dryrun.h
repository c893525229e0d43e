/* `qpayd-executor refunds-once --dry-run`: what one pass would claim, and why
 * every other payable refund would be left. Reads only; changes nothing. */
#ifndef QPAYD_EXECUTOR_DRYRUN_H
#define QPAYD_EXECUTOR_DRYRUN_H

#include <stdio.h>

#include "config.h"
#include "db.h"

/* Reads through db (borrowed: open with queries_statements). Prints one line per refund and a
 * summary to out. store may be NULL (all); limit caps the refunds looked at per store and backend.
 * Returns an exit code (0, or 1 on a database error). */
int dryrun_run(const struct config *cfg, struct db *db, const char *store, long limit, FILE *out);

#endif
