#include "auth.h"

#include <sodium.h>
#include <string.h>

const char *
auth_role_name(enum auth_role role)
{
        switch (role) {
        case AUTH_ROLE_API:
                return "api";
        case AUTH_ROLE_ADMIN:
                return "admin";
        case AUTH_ROLE_PAYOUT:
                return "payout";
        case AUTH_ROLE_NONE:
                break;
        }
        return "none";
}

/* Compares digests, so neither the length nor the content of a token leaks
 * through timing. */
static int
auth_token_equal(const char *configured, const char *presented)
{
        if (configured == NULL || presented == NULL)
                return 0;
        unsigned char a[crypto_hash_sha256_BYTES], b[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(a, (const unsigned char *)configured, strlen(configured));
        crypto_hash_sha256(b, (const unsigned char *)presented, strlen(presented));
        return sodium_memcmp(a, b, sizeof(a)) == 0;
}

enum auth_role
auth_decide(const struct config_store *s, enum auth_action action, const char *presented)
{
        /* Check every configured token whatever matches, to keep timing flat. */
        int api = auth_token_equal(s->api_token, presented);
        int admin = auth_token_equal(s->admin_token, presented);
        int payout = auth_token_equal(s->payout_token, presented);
        switch (action) {
        case AUTH_INVOICE:
                return api ? AUTH_ROLE_API : AUTH_ROLE_NONE;
        case AUTH_APPROVE:
                return admin ? AUTH_ROLE_ADMIN : AUTH_ROLE_NONE;
        case AUTH_ADMIN:
                if (admin)
                        return AUTH_ROLE_ADMIN;
                if (payout)
                        return AUTH_ROLE_PAYOUT;
                /* A store with neither token is run with its api token alone. */
                if (s->admin_token == NULL && s->payout_token == NULL && api)
                        return AUTH_ROLE_API;
                return AUTH_ROLE_NONE;
        case AUTH_MARK_PAID:
                if (s->admin_token != NULL)
                        return admin ? AUTH_ROLE_ADMIN : AUTH_ROLE_NONE;
                return api ? AUTH_ROLE_API : AUTH_ROLE_NONE;
        case AUTH_PAYOUT:
                if (s->payout_token != NULL) {
                        if (payout)
                                return AUTH_ROLE_PAYOUT;
                        if (admin && s->admin_token_can_payout)
                                return AUTH_ROLE_ADMIN;
                        return AUTH_ROLE_NONE;
                }
                if (s->admin_token != NULL)
                        return admin ? AUTH_ROLE_ADMIN : AUTH_ROLE_NONE;
                return api ? AUTH_ROLE_API : AUTH_ROLE_NONE;
        }
        return AUTH_ROLE_NONE;
}

static const char *
auth_needed(const struct config_store *s, enum auth_action action)
{
        switch (action) {
        case AUTH_INVOICE:
                return "the api token";
        case AUTH_APPROVE:
                return "the admin token";
        case AUTH_ADMIN:
                return s->admin_token != NULL || s->payout_token != NULL ? "the admin token"
                                                                         : "the api token";
        case AUTH_MARK_PAID:
                return s->admin_token != NULL ? "the admin token" : "the api token";
        case AUTH_PAYOUT:
                if (s->payout_token != NULL)
                        return s->admin_token_can_payout ? "the payout or admin token"
                                                         : "the payout token";
                return s->admin_token != NULL ? "the admin token" : "the api token";
        }
        return "a token";
}

const char *
auth_bearer(struct http_ctx *c, const struct config_store *store)
{
        const char *h = http_header(c, "Authorization");
        if (h == NULL) {
                http_error(c, 401, "unauthorized",
                           "missing Authorization: Bearer header; this route needs a token of "
                           "store %s",
                           store->id);
                return NULL;
        }
        if (strncasecmp(h, "Bearer ", 7) != 0) {
                http_error(c, 401, "unauthorized", "Authorization must use the Bearer scheme");
                return NULL;
        }
        const char *tok = h + 7;
        while (*tok == ' ')
                tok++;
        return tok;
}

enum auth_role
auth_require(struct http_ctx *c, const struct config_store *store, enum auth_action action)
{
        if (http_header(c, "Authorization") == NULL) {
                http_error(c, 401, "unauthorized",
                           "missing Authorization: Bearer header; this "
                           "route needs %s of store %s",
                           auth_needed(store, action), store->id);
                return AUTH_ROLE_NONE;
        }
        const char *tok = auth_bearer(c, store);
        if (tok == NULL)
                return AUTH_ROLE_NONE;
        enum auth_role role = auth_decide(store, action, tok);
        if (role == AUTH_ROLE_NONE)
                http_error(c, 401, "unauthorized", "this route needs %s of store %s",
                           auth_needed(store, action), store->id);
        return role;
}
