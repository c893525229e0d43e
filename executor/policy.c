#include "policy.h"

#include <stdio.h>
#include <string.h>

const char *
policy_verdict_name(enum policy_verdict v)
{
        switch (v) {
        case POLICY_PAY:
                return "pay";
        case POLICY_DEFER_DAILY:
                return "deferred";
        case POLICY_MANUAL:
                return "manual";
        case POLICY_NEEDS_APPROVAL:
                return "needs_approval";
        case POLICY_INVALID:
                return "invalid";
        }
        return "unknown";
}

/* Checks in order of severity: a refund that is wrong is reported as wrong
 * even when a limit would also stop it. */
enum policy_verdict
policy_check(const struct config_refunds *pol, enum dest_network net, const struct policy_refund *r,
             const struct policy_day *day, int64_t now, struct dest *dest, char *reason,
             size_t reasonsz)
{
        struct dest d;
        char err[200];
        memset(dest, 0, sizeof(*dest));
        if (r->amount_sats <= 0 || r->amount_sats > 2100000000000000LL) {
                snprintf(reason, reasonsz, "amount %lld sat is out of range",
                         (long long)r->amount_sats);
                return POLICY_INVALID;
        }
        if (dest_parse(r->destination, net, &d, err, sizeof(err)) != 0) {
                snprintf(reason, reasonsz, "destination does not validate: %s", err);
                return POLICY_INVALID;
        }
        const char *type = dest_type_name(d.type);
        const char *backend = dest_type_is_lightning(d.type) ? "lightning" : "bitcoin";
        if (strcmp(type, r->destination_type) != 0 || strcmp(backend, r->payout_backend) != 0) {
                snprintf(reason, reasonsz, "destination is a %s but the row says %s paid by %s",
                         type, r->destination_type, r->payout_backend);
                return POLICY_INVALID;
        }
        *dest = d;
        if (d.type == DEST_BOLT11) {
                if (d.has_amount && d.amount_msat != r->amount_sats * 1000) {
                        snprintf(reason, reasonsz,
                                 "the bolt11 invoice asks for %lld msat, the refund is %lld sat",
                                 (long long)d.amount_msat, (long long)r->amount_sats);
                        return POLICY_INVALID;
                }
                if (d.expires_at <= now) {
                        snprintf(reason, reasonsz, "the bolt11 invoice has expired");
                        return POLICY_INVALID;
                }
        }
        if (r->invoice_other_sats + r->amount_sats > r->invoice_paid_sats) {
                snprintf(reason, reasonsz,
                         "the invoice paid %lld sat and its other refunds take %lld: %lld more "
                         "is too much",
                         (long long)r->invoice_paid_sats, (long long)r->invoice_other_sats,
                         (long long)r->amount_sats);
                return POLICY_INVALID;
        }
        if (pol->max_refund_sats >= 0 && r->amount_sats > pol->max_refund_sats) {
                snprintf(reason, reasonsz,
                         "amount %lld sat is over max_refund_sats %lld: settle it by hand",
                         (long long)r->amount_sats, (long long)pol->max_refund_sats);
                return POLICY_MANUAL;
        }
        if (pol->manual_approval_threshold_sats >= 0 &&
            r->amount_sats > pol->manual_approval_threshold_sats &&
            strcmp(r->approval_status, "approved") != 0) {
                snprintf(reason, reasonsz,
                         "amount %lld sat is over manual_approval_threshold_sats %lld and the "
                         "refund is not approved",
                         (long long)r->amount_sats, (long long)pol->manual_approval_threshold_sats);
                return POLICY_NEEDS_APPROVAL;
        }
        if (pol->daily_refund_limit_sats >= 0 &&
            day->succeeded_sats + day->processing_sats + r->amount_sats >
                pol->daily_refund_limit_sats) {
                snprintf(reason, reasonsz,
                         "today's payouts (%lld succeeded + %lld in flight) + %lld would pass "
                         "daily_refund_limit_sats %lld",
                         (long long)day->succeeded_sats, (long long)day->processing_sats,
                         (long long)r->amount_sats, (long long)pol->daily_refund_limit_sats);
                return POLICY_DEFER_DAILY;
        }
        snprintf(reason, reasonsz, "within every limit");
        return POLICY_PAY;
}
