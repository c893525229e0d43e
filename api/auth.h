/* Bearer tokens and who may do what (DESIGN.md "Tokens and who may do what").
 * Per store, each token falls back to [auth]; comparison is constant-time. */
#ifndef QPAYD_API_AUTH_H
#define QPAYD_API_AUTH_H

#include "config.h"
#include "http.h"

/* What a request wants to do. */
enum auth_action {
        AUTH_INVOICE,   /* create and read invoices: api token */
        AUTH_ADMIN,     /* mark-paid, refund reads: admin (or payout) token */
        AUTH_APPROVE,   /* approve a refund: admin token only */
        AUTH_PAYOUT,    /* refund create, finalize, fail, cancel */
        AUTH_MARK_PAID, /* record a payment received elsewhere: admin, else api */
};

/* The role a request acted as, recorded in refund events and idempotency keys. */
enum auth_role { AUTH_ROLE_NONE = 0, AUTH_ROLE_API, AUTH_ROLE_ADMIN, AUTH_ROLE_PAYOUT };

const char *auth_role_name(enum auth_role role);

/* Checks the Authorization header of c against the tokens store accepts for
 * action. Returns the role acted as, or AUTH_ROLE_NONE after answering 401
 * (with WWW-Authenticate: Bearer). */
enum auth_role auth_require(struct http_ctx *c, const struct config_store *store,
                            enum auth_action action);

/* The Bearer token of c's Authorization header (pointing into it), or NULL
 * after answering 401 when there is none. */
const char *auth_bearer(struct http_ctx *c, const struct config_store *store);

/* Pure decision, for tests: which role a presented token has for action, given
 * the store's resolved tokens (NULL = not configured). */
enum auth_role auth_decide(const struct config_store *store, enum auth_action action,
                           const char *presented);

#endif
