/* One pass of the refund executor (refunds-once): for each store and payout
 * backend with refunds enabled, claim the payable refunds and record them
 * `processing` in a committed transaction, only then call the backend, then
 * record each outcome. Repeats until nothing payable is left or the limit is
 * reached. */
#ifndef QPAYD_EXECUTOR_PASS_H
#define QPAYD_EXECUTOR_PASS_H

#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "db.h"

struct pass_counts {
        long claimed, succeeded, failed, unknown, deferred;
        /* Refunds of the stores left processing for an operator after the pass:
         * not those another executor is paying right now. */
        long processing_left;
};

/* Set (from a signal handler) to stop a pass: the payout in hand is finished
 * and recorded, nothing new is called, and refunds claimed but not yet sent
 * go back to pending at once. */
extern volatile sig_atomic_t pass_stop;

/* Runs the pass on db (borrowed: open with executor_queries), printing one
 * line per refund to out. store NULL = all;
 * limit caps the refunds claimed. Returns 0, or -1 on a database error of
 * its own (the counts say what happened before it). */
int pass_run(const struct config *cfg, struct db *db, const char *store, long limit, FILE *out,
             struct pass_counts *counts);

#endif
