#include "claim_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "handler.h"
#include "log.h"
#include "refund_plan.h"
#include "statements.h"

int
claim_view_load(struct http_ctx *c, struct db *db, const char *hash, struct claim_view *v)
{
        memset(v, 0, sizeof(*v));
        if (hash[0] == '\0')
                return 0;
        const char *p[] = {hash};
        PGresult *r = handler_exec(c, db, STMT_CLAIM_VIEW, 1, p);
        if (r == NULL)
                return -1;
        int found = PQntuples(r) == 1;
        if (found) {
                snprintf(v->store, sizeof(v->store), "%s", PQgetvalue(r, 0, 0));
                snprintf(v->id, sizeof(v->id), "%s", PQgetvalue(r, 0, 1));
                v->amount_sats = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
                snprintf(v->status, sizeof(v->status), "%s", PQgetvalue(r, 0, 3));
                snprintf(v->expires_at, sizeof(v->expires_at), "%s", PQgetvalue(r, 0, 4));
                v->expired = PQgetvalue(r, 0, 5)[0] == 't';
                snprintf(v->reason, sizeof(v->reason), "%s", PQgetvalue(r, 0, 6));
                v->claimed = PQgetvalue(r, 0, 7)[0] == 't';
                v->cfg = config_store_find(c->cfg, v->store);
        }
        PQclear(r);
        return found;
}

const char *
claim_view_closed(const struct claim_view *v)
{
        if (v->claimed)
                return "This refund has already been claimed.";
        if (strcmp(v->status, "awaiting_destination") == 0 && !v->expired)
                return v->cfg == NULL ? "This refund cannot be claimed now." : NULL;
        if (v->expired)
                return "This refund's claim has expired; ask the shop.";
        return "This refund was canceled by the shop.";
}

/* The claim-specific checks, after refund create's own. NULL, or why not. */
static const char *
claim_submit_dest_check(const struct refund_plan *plan, int lnurl, char *msg, size_t msgsz)
{
        if (plan->dest.type != DEST_BOLT11) {
                if (lnurl)
                        return "pr: not a BOLT11 invoice";
                return NULL;
        }
        if (lnurl && !plan->dest.has_amount) {
                snprintf(msg, msgsz, "pr: the invoice must ask for exactly %lld msat",
                         (long long)plan->amount_sats * 1000);
                return msg;
        }
        if (plan->dest.expires_at - (int64_t)time(NULL) < CLAIM_BOLT11_MIN_SECONDS) {
                snprintf(msg, msgsz,
                         "the bolt11 invoice expires in less than %d minutes, too soon to be "
                         "paid; make one that lasts longer",
                         CLAIM_BOLT11_MIN_SECONDS / 60);
                return msg;
        }
        return NULL;
}

static enum claim_result
claim_submit_refused(int *status, int st, char *msg, size_t msgsz, const char *text)
{
        *status = st;
        if (text != msg)
                snprintf(msg, msgsz, "%s", text);
        return CLAIM_REFUSED;
}

enum claim_result
claim_submit(struct http_ctx *c, struct db *db, const char *hash, struct claim_view *v,
             const char *destination, int lnurl, char *msg, size_t msgsz, int *status)
{
        const char *closed = claim_view_closed(v);
        if (closed != NULL)
                return claim_submit_refused(status, v->claimed ? 409 : 410, msg, msgsz, closed);
        struct refund_plan plan;
        const char *code = NULL;
        int st = 0;
        if (refund_plan_make(v->cfg, v->amount_sats, destination, NULL, &plan, &st, &code, msg,
                             msgsz) != 0)
                return claim_submit_refused(status, st, msg, msgsz, msg);
        const char *why = claim_submit_dest_check(&plan, lnurl, msg, msgsz);
        if (why != NULL)
                return claim_submit_refused(status, 400, msg, msgsz, why);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "destination_type", dest_type_name(plan.dest.type));
        cJSON_AddStringToObject(d, "via", lnurl ? "lnurl_withdraw" : "claim_page");
        cJSON_AddStringToObject(d, "request_id", c->request_id);
        char *detail = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        const char *p[] = {hash,
                           destination,
                           dest_type_name(plan.dest.type),
                           plan.backend,
                           plan.approval,
                           plan.execution,
                           plan.execution_reason[0] ? plan.execution_reason : NULL,
                           plan.dest.type == DEST_BOLT11 ? plan.dest.payment_hash : NULL,
                           detail};
        enum db_err err = DB_OK;
        PGresult *r = db_exec_prepared(db, STMT_CLAIM, 9, p, &err);
        free(detail);
        if (r == NULL) {
                if (err == DB_ERR_UNIQUE &&
                    strcmp(db->last_constraint, "refunds_payment_hash_live") == 0)
                        return claim_submit_refused(
                            status, 409, msg, msgsz,
                            "another refund already pays this Lightning invoice; make a new one");
                log_warn("refund claim failed", "request_id", c->request_id, "refund", v->id,
                         "kind", db_err_name(err), "error", db->last_error);
                handler_async_error(c, err);
                return CLAIM_FAILED;
        }
        int won = PQntuples(r) == 1;
        PQclear(r);
        if (!won) {
                /* Claimed, canceled or expired meanwhile: say which. */
                int found = claim_view_load(c, db, hash, v);
                if (found < 0)
                        return CLAIM_FAILED;
                closed = found ? claim_view_closed(v) : NULL;
                return claim_submit_refused(status, v->claimed ? 409 : 410, msg, msgsz,
                                            closed ? closed : "This refund cannot be claimed.");
        }
        v->claimed = 1;
        log_info("refund claimed", "request_id", c->request_id, "store", v->store, "refund", v->id,
                 "destination_type", dest_type_name(plan.dest.type), "via",
                 lnurl ? "lnurl_withdraw" : "claim_page", "approval", plan.approval);
        return CLAIM_DONE;
}
