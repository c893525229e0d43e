/* One pass of the refund executor (refunds-once): over the stores and payout
 * backends with refunds enabled, in turn, claim a batch of payable refunds
 * and record them `processing` in a committed transaction, only then hand
 * them to the threads that call the backends (executor/inflight.h: up to
 * [executor] max_in_flight at once), and record each outcome as it comes
 * back. Repeats until nothing payable is left or the limit is reached. All
 * database and journal work stays on the pass's thread. */
#ifndef QPAYD_EXECUTOR_PASS_H
#define QPAYD_EXECUTOR_PASS_H

#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "record.h"

struct pass_counts {
        long claimed, succeeded, failed, unknown, deferred;
        /* Refunds of the stores left processing for an operator after the pass:
         * not those another executor is paying right now. */
        long processing_left;
};

/* Set (from a signal handler) to stop a pass: nothing more is claimed or
 * called, refunds claimed but not yet sent go back to pending at once, and
 * the payouts in flight are waited for and recorded. */
extern volatile sig_atomic_t pass_stop;

struct pass_item;
struct inflight;
struct verify_cache;

/* One pass's state (pass_run's own). */
struct pass {
        struct record_session rs;
        FILE *out;
        struct pass_counts *counts;
        struct verify_cache *verify; /* this pass's payment proofs */
        struct inflight *pool;       /* the threads that call the backends */
        int max_in_flight;
        struct pass_item *ready, **ready_tail; /* claimed, journaled, not yet sent */
        int reclaim; /* a refund went back to pending unsent: claim again */
};

/* Runs the pass on db (borrowed: open with queries_statements), printing one
 * line per refund to out. store NULL = all;
 * limit caps the refunds claimed. Returns 0, or -1 on a database error of
 * its own (the counts say what happened before it). */
int pass_run(const struct config *cfg, struct db *db, const char *store, long limit, FILE *out,
             struct pass_counts *counts);

#endif
