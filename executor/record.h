/* What a pass, its guard, its verification and reconcile share: the
 * executor's database session, its statements, refund events, and recording
 * a payout's outcome. Knows nothing of the pass above it. */
#ifndef QPAYD_EXECUTOR_RECORD_H
#define QPAYD_EXECUTOR_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "dest.h"
#include "outcome.h"

/* A refund claimed in this pass, waiting for its payout call. */
struct claimed {
        char id[65];
        char destination[2049];
        int64_t amount_sats;
        struct dest dest;
        char attempt[16];
        char invoice[65];
        int journaled;      /* a start record of this attempt is in the journal */
        int buyer_pays_fee; /* on-chain: the fee comes out of the amount */
};
/* A destination that validated (dest_parse: at most DEST_MAX_LEN bytes) is
 * copied whole: a truncated copy could be another valid destination. */
_Static_assert(sizeof(((struct claimed *)0)->destination) > DEST_MAX_LEN,
               "claimed.destination must hold any valid destination");

/* The database session of a pass or a reconcile run. */
struct record_session {
        struct db *db; /* borrowed: open, with queries_statements prepared */
        const struct config *cfg;
        char actor[128]; /* "executor:<name>", in every event */
};

/* Fills rs for db and cfg (both borrowed). */
void record_session_init(struct record_session *rs, struct db *db, const struct config *cfg);

/* {"reason":…, "backend":…, "attempt":…} as text (caller frees). */
char *record_detail(const char *reason, const char *backend, const char *attempt);
/* Runs a prepared statement; -1 on failure (logged). *res, when asked for,
 * is the caller's to clear. */
int record_exec(struct record_session *rs, const char *stmt, int n, const char *const *params,
                PGresult **res);
/* An event on a refund whose state does not change (refund_transition's
 * note). -1 on failure (logged). */
int record_note(struct record_session *rs, const char *store, const char *id, const char *event,
                const char *reason);
/* Records res for the processing refund c, with its event and the end of its
 * attempt, in one transaction. A deferral is retried after a back-off, or at
 * once when stopping (the executor is shutting down: nothing was sent). -1
 * leaves the refund processing. */
int record_outcome(struct record_session *rs, const struct config_store *s, const char *backend,
                   const struct claimed *c, const struct payout_result *res, int stopping);

#endif
