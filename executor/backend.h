/* The payout backend interface. Each backend file (phoenixd.c, barkd.c,
 * bitcoind.c) defines one struct payout_backend holding everything the
 * executor does with that backend; payout.c keeps the table and finds a
 * backend by the name a payout table gives (payout_backend_find). Nothing
 * else compares backend names but common/payable.c, which both programs
 * share to say what each backend can pay. Every function here may run in several
 * threads at once: no static mutable state, one HTTP handle per call.
 * (already_paid alone runs in the pass's own thread: bitcoind's keeps one
 * view of the wallet per process.) A header alone: the backends include it,
 * payout.c includes them. */
#ifndef QPAYD_EXECUTOR_BACKEND_H
#define QPAYD_EXECUTOR_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "dest.h"
#include "outcome.h"

struct payout_call {
        const char *refund_id;
        int64_t amount_sats;
        const char *destination;
        const struct dest *dest; /* parsed for the store's network */
        const struct config_backend *backend;
        int timeout_seconds;
        int subtract_fee; /* buyer_pays_fee: the fee comes out of the amount (on-chain) */
};

/* What the wallet says of a transaction it sent (tx_view). */
enum payout_tx_state {
        PAYOUT_TX_UNKNOWN,    /* could not ask, or an answer that proves nothing */
        PAYOUT_TX_SEEN,       /* in the wallet, confirmations >= 0, no conflict */
        PAYOUT_TX_CONFLICTED, /* replaced or double-spent (negative depth, walletconflicts) */
        PAYOUT_TX_DROPPED     /* the wallet does not know it, or abandoned it */
};

struct payout_tx_view {
        enum payout_tx_state state;
        int64_t confirmations; /* SEEN */
        int64_t fee_sats;      /* -1 when not known */
        char reason[256];
};

/* An earlier payout, to look up in the backend's own records. */
struct payout_lookup {
        const char *refund_id;
        const char *destination_type; /* as the refund row says, for messages */
        const char *payment_hash;     /* NULL when none is known */
        const struct config_backend *backend;
        int timeout_seconds;
};

/* One claimed refund about to be paid: has the backend already paid it? */
struct payout_prior {
        const char *refund_id;
        const struct dest *dest;
        struct payout_result *pre; /* OUTCOME_NOT_FOUND on entry */
};

struct journal;

/* audit: the journal's paid entries of one store and payout table. */
struct payout_audit {
        const struct config_store *store;
        const struct config_backend *backend;
        const char *role;        /* "lightning" or "bitcoin", as journal entries say */
        struct journal *journal; /* read-only */
        int timeout_seconds;
        /* One disagreement; id NULL for the store as a whole. */
        void (*say)(void *ctx, const char *store, const char *id, const char *what);
        void *ctx;
};

struct payout_backend {
        const char *name; /* as a payout table's `backend` */
        /* Can it pay d? 0 with why (common/payable.c decides). */
        int (*supports)(const struct dest *d, char *why, size_t whysz);
        /* One paying call, classified (docs/executor-outcomes.md). Never
         * retries: a second call could pay twice. */
        enum outcome (*pay)(const struct payout_call *call, struct payout_result *out);
        /* reconcile: SUCCEEDED or FAILED only on the backend's proof, else
         * UNKNOWN with why. */
        enum outcome (*lookup)(const struct payout_lookup *q, struct payout_result *out);
        /* The guard's second line, before a batch is paid: sets pre to
         * SUCCEEDED (already paid), UNKNOWN (a payment is there: never paid
         * again) or DEFERRED (could not ask); leaves NOT_FOUND otherwise.
         * NULL when the backend cannot say. */
        void (*already_paid)(const struct config_backend *b, int timeout, struct payout_prior *c,
                             int n);
        /* audit: paid in the journal, confirmed by the backend? NULL: not asked. */
        void (*audit)(const struct payout_audit *a);
        /* On-chain backends: the wallet's view of the transaction txid it
         * sent (a read). NULL: the backend has no transactions to watch. */
        void (*tx_view)(const struct config_backend *b, int timeout, const char *txid,
                        struct payout_tx_view *out);
        /* check-config: reaches b read-only with its payout credentials; an
         * ok line on out, or ERROR on err. 0 ok, 1 not. */
        int (*check)(const struct config_store *s, const struct config_backend *b, FILE *out,
                     FILE *err);
};

#endif
