#include "refund_plan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "payable.h"

static int
refund_plan_fail(int *status, const char **code, int st, const char *c)
{
        *status = st;
        *code = c;
        return -1;
}

int
refund_plan_make(const struct config_store *store, int64_t amount_sats, const char *destination,
                 const char *reason, struct refund_plan *out, int *status, const char **code,
                 char *msg, size_t msgsz)
{
        char err[160];
        memset(out, 0, sizeof(*out));
        out->amount_sats = amount_sats;
        out->destination = destination;
        out->reason = reason;
        enum dest_network net;
        if (dest_network_parse(store->network, &net) != 0) {
                snprintf(msg, msgsz, "store %s has an unknown network", store->id);
                return refund_plan_fail(status, code, 500, "internal");
        }
        if (dest_parse(destination, net, &out->dest, err, sizeof(err)) != 0) {
                snprintf(msg, msgsz, "destination: %s", err);
                return refund_plan_fail(status, code, 400, "invalid_destination");
        }
        if (out->dest.type == DEST_BOLT11) {
                if (out->dest.has_amount && out->dest.amount_msat != amount_sats * 1000) {
                        snprintf(msg, msgsz,
                                 "the bolt11 invoice asks for %lld msat; the refund is %lld sat",
                                 (long long)out->dest.amount_msat, (long long)amount_sats);
                        return refund_plan_fail(status, code, 400, "destination_amount_mismatch");
                }
                if (out->dest.expires_at <= (int64_t)time(NULL)) {
                        snprintf(msg, msgsz,
                                 "the bolt11 invoice expired; ask the payer for a new one");
                        return refund_plan_fail(status, code, 400, "destination_expired");
                }
        }
        int lightning = dest_type_is_lightning(out->dest.type);
        out->backend = lightning ? "lightning" : "bitcoin";
        const struct config_backend *table =
            lightning ? &store->lightning_payout : &store->bitcoin_payout;
        const struct config_refunds *pol = &table->refunds;
        out->approval = pol->present && pol->manual_approval_threshold_sats >= 0 &&
                                amount_sats > pol->manual_approval_threshold_sats
                            ? "required"
                            : "not_required";
        out->execution = "auto";
        if (!pol->present || !pol->enabled) {
                out->execution = "manual";
                snprintf(out->execution_reason, sizeof(out->execution_reason),
                         "refund execution is disabled for %s payouts of store %s: pay it by "
                         "hand, then finalize",
                         out->backend, store->id);
        } else if (pol->max_refund_sats >= 0 && amount_sats > pol->max_refund_sats) {
                out->execution = "manual";
                snprintf(out->execution_reason, sizeof(out->execution_reason),
                         "amount exceeds max_refund_sats (%lld) of %s payouts: the executor will "
                         "not pay it; pay it by hand, then finalize",
                         (long long)pol->max_refund_sats, out->backend);
        } else if (table->backend != NULL &&
                   !payable_check(table->backend, out->dest.type, out->execution_reason,
                                  sizeof(out->execution_reason))) {
                /* The executor's own answer (common/payable.c): it marks such a
                 * refund manual_only. Known only when this file names the
                 * payout table's backend, as the executor's does. */
                out->execution = "manual";
        }
        return 0;
}

char *
refund_plan_detail(const struct refund_plan *p, const char *request_id, bool claim)
{
        cJSON *d = cJSON_CreateObject();
        if (d == NULL)
                return NULL;
        /* Raw, as the integer text: cJSON would print a large double in
         * exponent form. */
        char amount[24];
        snprintf(amount, sizeof(amount), "%lld", (long long)p->amount_sats);
        cJSON_AddRawToObject(d, "amount_sats", amount);
        if (claim) {
                cJSON_AddBoolToObject(d, "claim", 1);
        } else {
                cJSON_AddStringToObject(d, "destination_type", dest_type_name(p->dest.type));
                cJSON_AddStringToObject(d, "approval_status", p->approval);
                cJSON_AddStringToObject(d, "execution", p->execution);
                if (p->execution_reason[0])
                        cJSON_AddStringToObject(d, "execution_reason", p->execution_reason);
        }
        cJSON_AddStringToObject(d, "request_id", request_id);
        char *text = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        return text;
}

void
refund_plan_params(const struct refund_plan *plan, struct refund_plan_row *row,
                   const char *p[REFUND_PLAN_NPARAMS])
{
        snprintf(row->amount, sizeof(row->amount), "%lld", (long long)plan->amount_sats);
        const char *v[REFUND_PLAN_NPARAMS] = {
            row->id,
            row->store,
            row->invoice,
            row->amount,
            plan->destination,
            dest_type_name(plan->dest.type),
            plan->backend,
            plan->reason,
            plan->approval,
            row->idem_key,
            plan->execution,
            plan->execution_reason[0] ? plan->execution_reason : NULL,
            row->actor,
            row->detail,
            row->window,
            row->idem_key ? row->idem_role : NULL,
            row->idem_key ? row->idem_fingerprint : NULL,
            plan->dest.type == DEST_BOLT11 ? plan->dest.payment_hash : NULL,
            plan->reference,
            plan->metadata,
            plan->buyer_pays_fee ? "true" : "false",
            row->one_in_flight ? "true" : "false",
            row->notification_url};
        memcpy(p, v, sizeof(v));
}
