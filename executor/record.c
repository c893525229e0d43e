#include "record.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queries.h"

char *
pass_detail(const char *reason, const char *backend, const char *attempt)
{
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "reason", reason);
        if (backend)
                cJSON_AddStringToObject(d, "backend", backend);
        if (attempt)
                cJSON_AddRawToObject(d, "attempt", attempt);
        char *text = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        return text;
}

/* Runs a statement; -1 on failure (logged). */
int
pass_exec(struct pass *p, const char *stmt, int n, const char *const *params, PGresult **res)
{
        enum db_err err;
        PGresult *r = db_exec_prepared(p->db, stmt, n, params, &err);
        if (r == NULL) {
                log_error("database statement failed", "statement", stmt, "error",
                          p->db->last_error);
                return -1;
        }
        if (res)
                *res = r;
        else
                PQclear(r);
        return 0;
}

int
pass_note(struct pass *p, const char *store, const char *id, const char *event, const char *reason)
{
        char *detail = pass_detail(reason, NULL, NULL);
        if (detail == NULL)
                return -1;
        const char *pe[] = {id, store, p->actor, event, detail};
        int rc = pass_exec(p, Q_NOTE, 5, pe, NULL);
        free(detail);
        return rc;
}

/* Records one payout's outcome with its event and the end of its attempt,
 * atomically (one refund_transition call). A failure here leaves the refund
 * processing: never paid again blindly. */
int
pass_record(struct pass *p, const struct config_store *s, const char *backend,
            const struct claimed *c, const struct payout_result *res)
{
        char *detail = pass_detail(res->reason, backend, c->attempt);
        if (detail == NULL)
                return -1;
        int rc;
        if (res->outcome == OUTCOME_SUCCEEDED) {
                char fee[24];
                snprintf(fee, sizeof(fee), "%lld", (long long)res->fee_sats);
                const char *ps[] = {c->id,
                                    s->id,
                                    c->attempt,
                                    p->actor,
                                    detail,
                                    res->tx_id[0] ? res->tx_id : NULL,
                                    res->proof[0] ? res->proof : NULL,
                                    res->fee_sats >= 0 ? fee : NULL};
                rc = pass_exec(p, Q_RECORD_SUCCEED, 8, ps, NULL);
        } else if (res->outcome == OUTCOME_FAILED) {
                const char *pf[] = {c->id, s->id, c->attempt, p->actor, detail, res->reason};
                rc = pass_exec(p, Q_RECORD_FAIL, 6, pf, NULL);
        } else if (res->outcome == OUTCOME_DEFERRED) {
                /* Nothing was sent: retry later, backing off with each attempt. */
                char backoff[24];
                long secs = pass_stop ? 0 : 60L * strtol(c->attempt, NULL, 10);
                snprintf(backoff, sizeof(backoff), "%ld", secs > 3600 ? 3600 : secs);
                const char *pd[] = {c->id, s->id, c->attempt, p->actor, detail, backoff};
                rc = pass_exec(p, Q_RECORD_DEFER, 6, pd, NULL);
        } else {
                /* Stays processing: never paid again blindly. */
                const char *pu[] = {c->id,      s->id,
                                    c->attempt, p->actor,
                                    detail,     res->payment_hash[0] ? res->payment_hash : NULL};
                rc = pass_exec(p, Q_RECORD_UNKNOWN, 6, pu, NULL);
        }
        free(detail);
        return rc;
}
