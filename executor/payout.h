/* The executor's payout backends (executor/backend.h): the table, found by
 * name, and the single entry point that pays one claimed refund. The refund
 * is already recorded `processing` when payout_pay runs. */
#ifndef QPAYD_EXECUTOR_PAYOUT_H
#define QPAYD_EXECUTOR_PAYOUT_H

#include <stddef.h>
#include <stdio.h>

#include "backend.h"
#include "config.h"
#include "dest.h"
#include "outcome.h"

/* The backend named name ("phoenixd", "barkd", "bitcoind"), or NULL. */
const struct payout_backend *payout_backend_find(const char *name);

/* True when this build can pay d through backend b (so it may be claimed);
 * else 0 with why (one line). */
int payout_supported(const struct config_backend *b, const struct dest *d, char *why, size_t whysz);

/* Calls the backend once and classifies its answer into out. Never retries:
 * a second call could pay twice. Thread-safe. */
enum outcome payout_pay(const struct payout_call *call, struct payout_result *out);

/* check-config: every payout table's backend reached read-only (its check).
 * Returns the number of backends that failed. */
int payout_check(const struct config *cfg, FILE *out, FILE *err);

#endif
