/* What stands between a claimed refund and a paying call: the executor's
 * journal (executor/journal.h) and, where the backend can say, the backend's
 * own record of an earlier payment of the same refund. A pass calls
 * guard_before once per claimed batch, before any payout_pay, and
 * guard_after after each payout. */
#ifndef QPAYD_EXECUTOR_GUARD_H
#define QPAYD_EXECUTOR_GUARD_H

#include "config.h"
#include "journal.h"
#include "outcome.h"
#include "record.h"

/* For each of the n claimed refunds of store s and backend b, fills pre[i]:
 * OUTCOME_NOT_FOUND when it may be paid now (its start record is written and
 * synced: c[i].journaled set), otherwise the outcome to record without any
 * paying call -- UNKNOWN (the journal holds it: stays processing for
 * reconcile), SUCCEEDED (the backend already paid it), DEFERRED (nothing can
 * be sent: no journal, an unexplained journal entry, the backend could not
 * be asked). */
void guard_before(struct record_session *rs, const struct config_store *s, const char *backend,
                  const struct config_backend *b, struct claimed *c, int n,
                  struct payout_result *pre);

/* Appends the outcome of c's call to the journal (when its start is there). */
void guard_after(struct record_session *rs, const struct claimed *c,
                 const struct payout_result *res);

/* reconcile: fills res from the journal's outcome of id (SUCCEEDED or FAILED
 * with the original proof) and returns 1; else 0, with *hash set to a payment
 * hash the journal knows (or left). */
int guard_journal_outcome(const struct config *cfg, const char *id, struct payout_result *res,
                          char hash[65]);
/* reconcile settled id: its outcome goes to the journal when the journal
 * shows the call started without a known end. */
void guard_settled(const struct config *cfg, const char *id, const char *attempt,
                   const struct payout_result *res);

/* The process's journal at cfg's path (opened once, re-opened when the path
 * changes), or NULL with err naming the path. Borrowed. */
struct journal *guard_journal(const struct config *cfg, char *err, size_t errlen);
/* Closes it (at exit, for leak checkers). */
void guard_close(void);

/* check-config: is the journal path writable? 0, or -1 after printing why. */
int guard_check_journal(const struct config *cfg, FILE *out);

#endif
