/* Idempotency-Key on every POST (IETF httpapi draft, Stripe's behaviour):
 * scoped to store and role; the same key with the same request (method, path
 * and body) replays the first response; with a different request it is 422
 * idempotency_key_reused. The key row and its response are written in the
 * same transaction as what the request changes (by the same statement for a
 * refund create; idempotency_begin and idempotency_store for the others), so
 * a crash never leaves a key without a response, a failed request stores
 * nothing, and a concurrent duplicate waits on the key until the first
 * commits, then fails on it and replays it (409 idempotency_key_in_flight if
 * it waits longer than the lock timeout). A new POST route (the webhook
 * redeliver route) calls idempotency_from_request, idempotency_begin and,
 * before its commit, idempotency_store, as refund_actions.c does. */
#ifndef QPAYD_API_IDEMPOTENCY_H
#define QPAYD_API_IDEMPOTENCY_H

#include "auth.h"
#include "db.h"
#include "http.h"

#define IDEM_KEY_MAX 255

struct idem {
        const char *key; /* borrowed from the request headers; NULL = no key */
        const char *store_id;
        const char *role;
        char fingerprint[65];
};

/* Reads and checks the Idempotency-Key header. Returns 0 (i->key may be NULL
 * when absent) or -1 after answering 400. */
int idempotency_from_request(struct http_ctx *c, const char *store_id, enum auth_role role,
                             struct idem *i);
/* After a write failed on the key's primary key (the key was used before, or
 * a duplicate committed first), or before work that must not be done twice
 * for a replay: replays the stored response, or answers 422
 * idempotency_key_reused. Returns 1 when the key is free (never used, or
 * expired and now deleted: the caller goes on, or tries once more), 0 when
 * the request was answered. */
int idempotency_resolve(struct http_ctx *c, struct db *db, const struct idem *i);

/* Opens the request's transaction (handler_begin) and, with a key, claims
 * it: a request that used it before is replayed (or 422), one still running
 * is waited for. Returns 0 in the open transaction, or -1 after answering
 * (nothing left open). */
int idempotency_begin(struct http_ctx *c, struct db *db, const struct idem *i);
/* In that transaction, before its commit: status and body become the key's
 * stored response (nothing without a key). resource_id may be NULL. Returns
 * 0, or -1 after answering (rolled back). */
int idempotency_store(struct http_ctx *c, struct db *db, const struct idem *i, int status,
                      const char *body, const char *resource_id);

#endif
