/* One payout call to the backend a store's payout table names, classified.
 * The refund is already recorded `processing` when this runs. */
#ifndef QPAYD_EXECUTOR_PAYOUT_H
#define QPAYD_EXECUTOR_PAYOUT_H

#include <stdint.h>

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
};

/* True when this build can pay d through backend b (so it may be claimed). */
int payout_supported(const struct config_backend *b, const struct dest *d);

/* Calls the backend once and classifies its answer into out. Never retries:
 * a second call could pay twice. */
enum outcome payout_pay(const struct payout_call *call, struct payout_result *out);

/* A barkd send by payment hash: SUCCEEDED with its preimage, FAILED when
 * barkd's history shows it failed or canceled, otherwise UNKNOWN. */
enum outcome payout_barkd_lookup(const struct config_backend *b, const char *hash, int timeout,
                                 struct payout_result *out);

#endif
