#include "claim_renew.h"

#include <sodium.h>

#include "auth.h"
#include "claim_create.h"
#include "claim_token.h"
#include "handler.h"
#include "log.h"
#include "statements.h"

void
claim_renew(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_PAYOUT);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *id = handler_id(c, 1, "rf_", "refund");
        if (id == NULL)
                return;
        if (claim_create_available(c) != 0)
                return;
        struct db *db = handler_db(c);
        if (db == NULL)
                return;
        char token[CLAIM_TOKEN_LEN + 1], hash[CLAIM_HASH_LEN + 1];
        claim_token_new(token, hash);
        const char *p[] = {store->id, id, hash, auth_role_name(role)};
        PGresult *r = handler_exec(c, db, STMT_CLAIM_RENEW, 4, p);
        if (r != NULL && PQntuples(r) == 1) {
                log_info("claim link renewed", "request_id", c->request_id, "store", store->id,
                         "refund", id);
                claim_create_reply(c, 200, PQgetvalue(r, 0, 0), token);
        } else if (r != NULL) {
                http_error(c, 409, "invalid_state",
                           "refund %s of store %s is not a claimable refund awaiting its "
                           "destination (or its claim expired)",
                           id, store->id);
        }
        PQclear(r);
        sodium_memzero(token, sizeof(token));
}
