/* qpayd-executor audit: the journal, the database and the backends compared,
 * one line per disagreement; and audit --ack ID, an operator's note that an
 * unexplained journal entry is understood. */
#ifndef QPAYD_EXECUTOR_AUDIT_H
#define QPAYD_EXECUTOR_AUDIT_H

#include <stdio.h>

#include "config.h"
#include "db.h"

/* Prints every disagreement to out, then a summary line. Returns the exit
 * code: 0 all agree, 4 disagreements, 1 when the journal or the database
 * could not be read (db borrowed, opened with queries_statements). */
int audit_run(const struct config *cfg, struct db *db, FILE *out);

/* Appends an ack record for id (which the journal must hold). 0, or 1 after
 * printing why to stderr. */
int audit_ack(const struct config *cfg, const char *id, FILE *out);

#endif
