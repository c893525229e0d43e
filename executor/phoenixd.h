/* phoenixd payouts: request bodies for the three pay calls and the
 * classification of their answers and of payment lookups (pure: tested
 * without a network), and phoenixd_backend, the payout backend
 * (executor/backend.h) that makes the calls. docs/executor-outcomes.md has
 * the table. */
#ifndef QPAYD_PHOENIXD_H
#define QPAYD_PHOENIXD_H

#include <stdint.h>

#include "backend.h"
#include "config.h"
#include "httpc.h"
#include "outcome.h"

/* Form bodies (malloc'd, or NULL on allocation failure or a bad amount).
 * amount_sat < 0 leaves amountSat out (an invoice with its own amount);
 * message NULL or "" leaves it out. */
char *phoenixd_payinvoice_form(const char *invoice, int64_t amount_sat);
char *phoenixd_payoffer_form(const char *offer, int64_t amount_sat, const char *message);
char *phoenixd_paylnaddress_form(const char *address, int64_t amount_sat, const char *message);

/* Classifies the answer to POST /payinvoice, /payoffer or /paylnaddress.
 * expected_hash is the payment hash when known (bolt11: from the invoice),
 * else NULL: a preimage that does not hash to it is never a success.
 * Fills out (initialised here) and returns out->outcome. */
enum outcome phoenixd_classify_pay(const struct httpc_response *resp, const char *expected_hash,
                                   struct payout_result *out);

/* Classifies GET /payments/outgoingbyhash/{hash} (or /payments/outgoing/{id}).
 * 404 "Not found" gives OUTCOME_NOT_FOUND: phoenixd has no record, which is
 * only proof of non-payment when the caller knows more (reconcile decides).
 * Returns out->outcome. */
enum outcome phoenixd_classify_lookup(const struct httpc_response *resp, const char *expected_hash,
                                      struct payout_result *out);

/* The payout backend: pay, lookup, the guard's second line (bolt11 by
 * hash), audit, check-config. */
extern const struct payout_backend phoenixd_backend;

#endif
