/* What a payout attempt or a lookup proved, backend by backend. The rule
 * that keeps money safe: only a definite answer from the backend may say
 * FAILED (nothing was paid) or DEFERRED (nothing was sent: retry later);
 * anything short of certainty is UNKNOWN, and the refund stays `processing`
 * until reconcile proves what happened. docs/executor-outcomes.md has the
 * table, answer by answer. */
#ifndef QPAYD_OUTCOME_H
#define QPAYD_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

enum outcome {
        OUTCOME_SUCCEEDED, /* paid: proof (Lightning) or tx_id (on-chain) is set */
        OUTCOME_FAILED,    /* definitely not paid, never will be by this attempt */
        OUTCOME_DEFERRED,  /* nothing was sent or run: safe to retry later */
        OUTCOME_UNKNOWN,   /* may have been paid: stays processing, never paid again blindly */
        OUTCOME_NOT_FOUND  /* lookups only: the backend has no record; reconcile decides */
};

struct payout_result {
        enum outcome outcome;
        int in_progress;       /* UNKNOWN because the backend says it is still running */
        char proof[65];        /* Lightning preimage, lowercase hex, verified against the hash */
        char tx_id[65];        /* bitcoind txid */
        char payment_hash[65]; /* lowercase hex */
        char payment_id[40];   /* phoenixd paymentId (UUID) */
        int64_t fee_sats;      /* -1 when not known */
        int64_t confirmations; /* bitcoind lookups; 0 otherwise */
        char reason[256];      /* why, for the log and the refund row; never a secret */
        /* DEFERRED by the executor itself, nothing sent (its own queue was
         * too slow, or it is stopping): payable again at once, no back-off. */
        int retry_now;
};

/* Empties r: outcome UNKNOWN, fee_sats -1, strings "". */
void outcome_result_init(struct payout_result *r);

/* Sets r->outcome and r->reason (printf format; truncated to fit). Returns
 * the outcome, so that classifiers can `return outcome_set(...)`. */
enum outcome outcome_set(struct payout_result *r, enum outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* UNKNOWN for a refund its backend cannot look up (no payment hash: an offer,
 * a Lightning address): what the operator does instead. */
enum outcome outcome_not_lookable(struct payout_result *r, const char *backend,
                                  const char *destination_type);

/* "succeeded", "failed", "deferred", "unknown", "not_found". */
const char *outcome_name(enum outcome o);

/* True when sha256(preimage) == payment_hash, both 64 hex digits. A preimage
 * that does not hash to the payment hash proves nothing. */
int outcome_preimage_matches(const char *preimage_hex, const char *payment_hash_hex);

/* Case-insensitive substring test, for backend messages. */
int outcome_contains(const char *haystack, const char *needle);

#endif
