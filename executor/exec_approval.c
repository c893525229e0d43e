#include "exec_approval.h"

#include <stdio.h>
#include <string.h>

#include "approval.h"
#include "queries.h"

int
exec_approval_required(const struct config_store *s, const struct config_refunds *pol,
                       int64_t amount_sats)
{
        return pol->manual_approval_threshold_sats >= 0 &&
               amount_sats > pol->manual_approval_threshold_sats && s->approval_keys.n > 0;
}

int
exec_approval_verified(struct db *db, const struct config_store *s, const char *refund_id,
                       int64_t amount_sats, const char *destination, char *why, size_t whysz)
{
        if (s->approval_keys.n == 0) {
                snprintf(why, whysz, "this executor has no approval_public_keys for store %s",
                         s->id);
                return 0;
        }
        const char *pa[] = {s->id, refund_id};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, Q_APPROVALS, 2, pa, &err);
        if (r == NULL) {
                snprintf(why, whysz, "reading the refund's approvals failed: %s", db->last_error);
                return -1;
        }
        int rows = PQntuples(r), verified = 0, foreign = 0;
        char last[300] = "";
        for (int i = 0; i < rows && !verified; i++) {
                if (PQgetisnull(r, i, 2))
                        continue; /* the refund, without any approval row */
                const char *pkt = PQgetvalue(r, i, 2);
                unsigned char pk[crypto_sign_PUBLICKEYBYTES];
                if (approval_pk_parse(pkt, pk) != 0 || !approval_keys_has(&s->approval_keys, pk)) {
                        foreign++;
                        continue;
                }
                struct approval_fields f = {s->id,       refund_id,   PQgetvalue(r, i, 0),
                                            amount_sats, destination, PQgetvalue(r, i, 1)};
                char e[200];
                if (approval_verify(pk, PQgetvalue(r, i, 3), &f, e, sizeof(e)) == 0)
                        verified = 1;
                else
                        snprintf(last, sizeof(last), "signature by %.60s: %.200s", pkt, e);
        }
        int stored = rows > 0 && !PQgetisnull(r, 0, 2) ? rows : 0;
        PQclear(r);
        if (verified) {
                snprintf(why, whysz, "signed approval verified");
                return 1;
        }
        if (stored == 0)
                snprintf(why, whysz,
                         "approved without a signature: no signed approval is stored, and store "
                         "%s needs one from a key in this executor's approval_public_keys",
                         s->id);
        else if (last[0] != '\0')
                snprintf(why, whysz, "no valid signed approval (%d stored): %s", stored, last);
        else
                snprintf(why, whysz,
                         "no valid signed approval: the %d stored are by keys not in this "
                         "executor's approval_public_keys for store %s",
                         foreign, s->id);
        return 0;
}
