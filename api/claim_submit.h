/* What the claim page and the LNURL-withdraw callback share (docs/claims.md):
 * the refund a claim token names, and the claim itself, run on the worker's
 * database thread. */
#ifndef QPAYD_API_CLAIM_SUBMIT_H
#define QPAYD_API_CLAIM_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "http.h"

/* A bolt11 destination must stay payable this long after the claim: the
 * executor's pass, its retries and the route search fit in it. */
#define CLAIM_BOLT11_MIN_SECONDS 600

/* The claimable refund behind a token, as the page may show it. */
struct claim_view {
        char store[65], id[65];
        int64_t amount_sats;
        char status[32];
        char expires_at[40]; /* "YYYY-MM-DD HH:MM", UTC */
        int expired;         /* the claim's time is over (swept or not) */
        int claimed;
        char reason[512];               /* the shop's, "" when none */
        const struct config_store *cfg; /* NULL: the store left the configuration */
};

/* Loads the refund whose token hash is hash. 1 found, 0 not found (or a
 * token of the wrong form: hash is ""), -1 after answering a database error. */
int claim_view_load(struct http_ctx *c, struct db *db, const char *hash, struct claim_view *v);

/* Why v cannot be claimed, for the customer; NULL when it can. */
const char *claim_view_closed(const struct claim_view *v);

enum claim_result { CLAIM_DONE, CLAIM_REFUSED, CLAIM_FAILED };

/* Claims v (token hash hash) for destination: validated for the store's
 * network as refund create validates it (api/refund_plan.c, the same
 * messages), a bolt11 also payable for CLAIM_BOLT11_MIN_SECONDS, and for
 * LNURL-withdraw (lnurl) a bolt11 of exactly the amount. CLAIM_DONE;
 * CLAIM_REFUSED with msg and *status (400 invalid, 409 taken, 410 gone);
 * CLAIM_FAILED after answering a database error. */
enum claim_result claim_submit(struct http_ctx *c, struct db *db, const char *hash,
                               struct claim_view *v, const char *destination, int lnurl, char *msg,
                               size_t msgsz, int *status);

#endif
