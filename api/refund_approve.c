#include "refund_approve.h"

#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "handler.h"
#include "json.h"
#include "statements.h"

int
refund_approve_signed(struct http_ctx *c, struct db *db, const struct config_store *store,
                      const char *id, const cJSON *body)
{
        int bad = 0;
        const char *sig = handler_opt_string(c, body, "signature", 200, &bad);
        const char *pkt = bad ? NULL : handler_opt_string(c, body, "public_key", 200, &bad);
        if (bad) {
                db_rollback(db);
                return -1;
        }
        if (store->approval_keys.n == 0) {
                if (sig == NULL && pkt == NULL)
                        return 0; /* the admin token alone, as configured */
                handler_fail(c, db, 422, "approval_keys_not_configured",
                             "store %s has no approval_public_keys, so a signature cannot be "
                             "checked; approve without one or configure the approver's key",
                             store->id);
                return -1;
        }
        if (sig == NULL || pkt == NULL) {
                handler_fail(c, db, 400, "signature_required",
                             "store %s approves refunds only with a signature: post "
                             "{\"signature\", \"public_key\"} (`qpayd approve` makes them); "
                             "missing %s",
                             store->id, sig == NULL ? "signature" : "public_key");
                return -1;
        }
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        if (approval_pk_parse(pkt, pk) != 0) {
                handler_fail(c, db, 400, "invalid_field",
                             "public_key must be \"ed25519:\" followed by 44 characters of "
                             "base64 (32 bytes)");
                return -1;
        }
        if (!approval_keys_has(&store->approval_keys, pk)) {
                handler_fail(c, db, 422, "unknown_approval_key",
                             "public_key %s is not one of store %s's approval_public_keys", pkt,
                             store->id);
                return -1;
        }
        const char *pf[] = {store->id, id};
        PGresult *r = handler_exec(c, db, STMT_APPROVAL_FIELDS, 2, pf);
        if (r == NULL)
                return -1;
        struct approval_fields f = {store->id,           id,
                                    PQgetvalue(r, 0, 0), strtoll(PQgetvalue(r, 0, 1), NULL, 10),
                                    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3)};
        char why[300];
        int ok = approval_verify(pk, sig, &f, why, sizeof(why)) == 0;
        PQclear(r);
        if (!ok) {
                handler_fail(c, db, 422, "invalid_signature", "refund %s: signature by %s: %s", id,
                             pkt, why);
                return -1;
        }
        const char *pi[] = {store->id, id, pkt, sig};
        if ((r = handler_exec(c, db, STMT_APPROVAL_INSERT, 4, pi)) == NULL)
                return -1;
        PQclear(r);
        return 0;
}

int
refund_approve_is_resign(const struct config_store *store, const cJSON *body, const PGresult *r)
{
        return store->approval_keys.n > 0 &&
               cJSON_GetObjectItemCaseSensitive(body, "signature") != NULL &&
               strcmp(PQgetvalue(r, 0, 1), "pending") == 0 &&
               strcmp(PQgetvalue(r, 0, 2), "approved") == 0;
}
