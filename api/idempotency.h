/* Idempotency-Key (IETF httpapi draft, Stripe's behaviour): scoped to store
 * and role; the same key with the same request replays the first response;
 * with a different request it is 422 idempotency_key_reused. The key row is
 * written in the same transaction as the resource, so a crash never leaves a
 * key claimed without a response, and a concurrent duplicate waits for the
 * first to commit, then replays it (409 idempotency_key_in_flight if it waits
 * longer than the lock timeout). */
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
int idem_from_request(struct http_ctx *c, const char *store_id, enum auth_role role,
                      struct idem *i);
/* Inside the open transaction: claims the key. Returns 1 to proceed, 0 when
 * the request was answered (a replay, or an error, after rolling back). */
int idem_claim(struct http_ctx *c, struct db *db, struct idem *i);
/* Records the response for the key (still in the transaction). 0 or -1 after
 * answering. */
int idem_record(struct http_ctx *c, struct db *db, const struct idem *i, int status,
                const char *body, const char *resource_id);

#endif
