/* Signed approvals as the wallet host judges them: from its own
 * approval_public_keys, never from approval_status or from which keys the
 * public server accepted (docs/executor.md, Signed approvals). */
#ifndef QPAYD_EXECUTOR_EXEC_APPROVAL_H
#define QPAYD_EXECUTOR_EXEC_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"

/* Must a refund of amount_sats under pol carry a verified signature? Yes when
 * the executor's threshold is set, the amount is above it, and this executor
 * has approval keys for store s (without keys it trusts approval_status, and
 * check-config warns). */
int exec_approval_required(const struct config_store *s, const struct config_refunds *pol,
                           int64_t amount_sats);

/* The one check: is one of the refund's stored refund_approvals rows an
 * Ed25519 signature, by a key in s's approval keys (this executor's config),
 * over s's id, refund_id, the row's invoice and created_at, and exactly
 * amount_sats and destination (what the executor is about to pay)? Usable
 * for any refund, whatever its amount. Runs on db in the caller's
 * transaction. Returns 1 verified; 0 not, with why saying what was wrong
 * (none stored, key not configured, signature over other fields); -1 on a
 * database error (why says so). */
int exec_approval_verified(struct db *db, const struct config_store *s, const char *refund_id,
                           int64_t amount_sats, const char *destination, char *why, size_t whysz);

#endif
