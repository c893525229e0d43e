/* Which payout backend can pay which kind of refund destination: the one
 * answer the executor's pass and --dry-run and the API's `execution` field
 * share. In common/ because both programs ask it (qpayd to say "manual"
 * before a refund is written, the executor before it claims one). Pure. */
#ifndef QPAYD_PAYABLE_H
#define QPAYD_PAYABLE_H

#include <stddef.h>

#include "dest.h"

/* True when the payout backend named backend ("phoenixd", "barkd",
 * "bitcoind", as in a payout table's `backend`) can pay a destination of
 * type t. Otherwise 0, with why (one line, for the refund's event and the
 * API's execution_reason) in reason when it is not NULL. */
int payable_check(const char *backend, enum dest_type t, char *reason, size_t reasonsz);

#endif
