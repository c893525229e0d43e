/* Payouts in flight: a small pool of threads, each running one blocking
 * payout_pay at a time, so a slow or stuck payment holds one thread and not
 * the refunds behind it. The pool touches no database and no journal: the
 * thread that submits (the pass) claims before and records each outcome as
 * it comes back. Threads are started as jobs need them, up to max, with
 * every signal blocked: signals reach the pass's thread. */
#ifndef QPAYD_EXECUTOR_INFLIGHT_H
#define QPAYD_EXECUTOR_INFLIGHT_H

#include "outcome.h"
#include "payout.h"

struct inflight_job {
        struct payout_call call;     /* the submitter's; what it points to outlives the job */
        struct payout_result result; /* filled by the pool */
        void *owner;                 /* the submitter's: whose job this is */
        struct inflight_job *next;   /* the pool's */
};

struct inflight;

/* A pool of at most max (>= 1) threads, none started yet. NULL when out of
 * memory. */
struct inflight *inflight_new(int max);
/* Stops and joins the threads. Call when nothing is in flight. */
void inflight_free(struct inflight *f);

/* Jobs submitted and not yet taken back by inflight_wait. */
int inflight_busy(const struct inflight *f);

/* Hands job to a thread (its payout call is made exactly once). The caller
 * keeps inflight_busy below max. -1 when no thread runs and none could be
 * started: the job was not taken and nothing was sent. */
int inflight_submit(struct inflight *f, struct inflight_job *job);

/* A finished job, in the order they finish, or NULL when none finished
 * within timeout_ms. */
struct inflight_job *inflight_wait(struct inflight *f, int timeout_ms);

#endif
