/* barkd payouts: the body of POST /api/v1/lightning/pay and the
 * classification of its answer, of GET /api/v1/lightning/sends/{hash} and of
 * GET /api/v1/history. A barkd payment is asynchronous: a started payment is
 * UNKNOWN with in_progress set until a lookup proves it paid or failed. These
 * are pure (tested without a network); barkd_backend, the payout backend
 * (executor/backend.h), makes the calls. */
#ifndef QPAYD_BARKD_H
#define QPAYD_BARKD_H

#include <stdint.h>

#include "backend.h"
#include "dest.h"
#include "httpc.h"
#include "outcome.h"

/* {"destination":…, "amount_sat":N?, "comment":…?} as a malloc'd string, or
 * NULL when the arguments do not fit the type: amount_sat (>= 1) is required
 * for Lightning addresses and LNURL, optional otherwise (< 0: left out); a
 * comment is only sent to Lightning addresses and LNURL (barkd refuses one
 * for bolt11 and offers) and is dropped for the others. */
char *barkd_pay_body(const char *destination, enum dest_type type, int64_t amount_sat,
                     const char *comment);

/* POST /api/v1/lightning/pay. On 200 the outcome is UNKNOWN with in_progress
 * set and payment_hash filled when barkd reported it. */
enum outcome barkd_classify_pay(const struct httpc_response *resp, struct payout_result *out);

/* GET /api/v1/lightning/sends/{hash}: "paid" with a preimage that hashes to
 * expected_hash (or to the answer's payment_hash when NULL) is SUCCEEDED;
 * every other state is UNKNOWN; 404 is NOT_FOUND. */
enum outcome barkd_classify_send(const struct httpc_response *resp, const char *expected_hash,
                                 struct payout_result *out);

/* GET /api/v1/history?…: looks at the movements of subsystem
 * bark.lightning_send whose metadata.payment_hash is expected_hash (every
 * such movement when NULL). successful beats pending beats failed/canceled,
 * as a payment with one successful attempt is paid. None: NOT_FOUND. */
enum outcome barkd_classify_history(const struct httpc_response *resp, const char *expected_hash,
                                    struct payout_result *out);

/* The payout backend: pay (then poll the send), lookup by hash, check-config. */
extern const struct payout_backend barkd_backend;

#endif
