/* The chain watch: on-chain refunds the executor sent are looked up in the
 * spending wallet (the backend's tx_view, a read) until they reach the
 * store's confirmations_required, or leave the wallet's view (conflicted,
 * dropped), which an operator settles: nothing here re-sends a refund. Each
 * observation is one refund_chain_observe() call (sql/011), which records
 * tx_status, confirmations, confirmed_at and a fee not known at the send,
 * with its event. Bounded per run and store; runs on the caller's thread. */
#ifndef QPAYD_EXECUTOR_CHAINWATCH_H
#define QPAYD_EXECUTOR_CHAINWATCH_H

#include <stdio.h>

#include "config.h"
#include "db.h"

struct chainwatch_counts {
        long looked_up, confirmed, conflicted, dropped;
};

/* Refunds looked up per store and run: the rest wait for the next run,
 * which starts after the last one looked up. */
#define CHAINWATCH_BATCH 50

/* Looks the watched refunds of store (NULL: every store with a bitcoin
 * payout table) up, printing one line per refund whose view changed to out.
 * db is borrowed (queries_statements prepared). Returns 0, or -1 on a
 * database error (the counts say what happened before it). */
int chainwatch_run(const struct config *cfg, struct db *db, const char *store, FILE *out,
                   struct chainwatch_counts *n);

#endif
