/* Idempotency-Key (IETF httpapi draft, Stripe's behaviour): scoped to store
 * and role; the same key with the same request replays the first response;
 * with a different request it is 422 idempotency_key_reused. The key row and
 * its response are written by the same statement as the refund, so a crash
 * never leaves a key without a response, and a concurrent duplicate waits on
 * the key until the first commits, then fails on it and replays it (409
 * idempotency_key_in_flight if it waits longer than the lock timeout). */
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
/* After the create statement failed on the key's primary key (the key was
 * used before, or a duplicate committed first): replays the stored response,
 * or answers 422 idempotency_key_reused. Returns 1 when the key had expired
 * and was deleted (the caller tries once more), 0 when the request was
 * answered. */
int idempotency_resolve(struct http_ctx *c, struct db *db, const struct idem *i);

#endif
