/* The signed part of POST /v1/stores/{store}/refunds/{id}/approve: when the
 * store has approval_public_keys, the body's Ed25519 signature is verified
 * against them over the locked refund row and stored in refund_approvals
 * (docs/api.md). The approval itself stays in refund_actions.c. */
#ifndef QPAYD_API_REFUND_APPROVE_H
#define QPAYD_API_REFUND_APPROVE_H

#include <cjson/cJSON.h>

#include "config.h"
#include "db.h"
#include "http.h"

/* Inside the approve transaction, with the refund row locked: checks body's
 * signature and public_key against store's keys and inserts the
 * refund_approvals row. Returns 0 (nothing to check, or checked and
 * stored), or -1 after rolling back and answering why. */
int refund_approve_signed(struct http_ctx *c, struct db *db, const struct config_store *store,
                          const char *id, const cJSON *body);

/* A signed approval of a refund already `pending` and `approved`: allowed
 * when the store has keys, so that a refund approved without a valid
 * signature (an approval forged in the database, or by a key since
 * rotated out) can still get one the executor accepts. r is the locked row
 * (id, status, approval_status). */
int refund_approve_is_resign(const struct config_store *store, const cJSON *body,
                             const PGresult *r);

#endif
