#include "record.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queries.h"

void
record_session_init(struct record_session *rs, struct db *db, const struct config *cfg)
{
        rs->db = db;
        rs->cfg = cfg;
        snprintf(rs->actor, sizeof(rs->actor), "executor:%.100s", cfg->executor_name);
}

char *
record_detail(const char *reason, const char *backend, const char *attempt)
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
record_exec(struct record_session *rs, const char *stmt, int n, const char *const *params,
            PGresult **res)
{
        enum db_err err;
        PGresult *r = db_exec_prepared(rs->db, stmt, n, params, &err);
        if (r == NULL) {
                log_error("database statement failed", "statement", stmt, "error",
                          rs->db->last_error);
                return -1;
        }
        if (res)
                *res = r;
        else
                PQclear(r);
        return 0;
}

int
record_note(struct record_session *rs, const char *store, const char *id, const char *event,
            const char *reason)
{
        char *detail = record_detail(reason, NULL, NULL);
        if (detail == NULL)
                return -1;
        const char *pe[] = {id, store, rs->actor, event, detail, reason};
        int rc = record_exec(rs, Q_NOTE, 6, pe, NULL);
        free(detail);
        return rc;
}

/* Records one payout's outcome with its event and the end of its attempt,
 * atomically (one refund_transition call). A failure here leaves the refund
 * processing: never paid again blindly. */
int
record_outcome(struct record_session *rs, const struct config_store *s, const char *backend,
               const struct claimed *c, const struct payout_result *res, int stopping)
{
        char *detail = record_detail(res->reason, backend, c->attempt);
        if (detail == NULL)
                return -1;
        int rc;
        if (res->outcome == OUTCOME_SUCCEEDED) {
                char fee[24], warn[16];
                snprintf(fee, sizeof(fee), "%lld", (long long)res->fee_sats);
                snprintf(warn, sizeof(warn), "%d", s->fee_warning_percent);
                const char *ps[] = {c->id,
                                    s->id,
                                    c->attempt,
                                    rs->actor,
                                    detail,
                                    res->tx_id[0] ? res->tx_id : NULL,
                                    res->proof[0] ? res->proof : NULL,
                                    res->fee_sats >= 0 ? fee : NULL,
                                    warn};
                rc = record_exec(rs, Q_RECORD_SUCCEED, 9, ps, NULL);
        } else if (res->outcome == OUTCOME_FAILED) {
                const char *pf[] = {c->id, s->id, c->attempt, rs->actor, detail, res->reason};
                rc = record_exec(rs, Q_RECORD_FAIL, 6, pf, NULL);
        } else if (res->outcome == OUTCOME_DEFERRED) {
                /* Nothing was sent: retry later, backing off with each attempt. */
                char backoff[24];
                long secs = stopping || res->retry_now ? 0 : 60L * strtol(c->attempt, NULL, 10);
                snprintf(backoff, sizeof(backoff), "%ld", secs > 3600 ? 3600 : secs);
                /* The reason shows beside next_attempt_at as last_error. */
                const char *pd[] = {c->id,
                                    s->id,
                                    c->attempt,
                                    rs->actor,
                                    detail,
                                    backoff,
                                    res->reason[0] ? res->reason : NULL};
                rc = record_exec(rs, Q_RECORD_DEFER, 7, pd, NULL);
        } else {
                /* Stays processing: never paid again blindly. */
                const char *pu[] = {c->id,      s->id,
                                    c->attempt, rs->actor,
                                    detail,     res->payment_hash[0] ? res->payment_hash : NULL};
                rc = record_exec(rs, Q_RECORD_UNKNOWN, 6, pu, NULL);
        }
        free(detail);
        return rc;
}
