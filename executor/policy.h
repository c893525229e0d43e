/* The executor's own judgement of a refund row: it trusts its config, not
 * what the public server wrote. Pure: no I/O; the clock is an argument. */
#ifndef QPAYD_EXECUTOR_POLICY_H
#define QPAYD_EXECUTOR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dest.h"

enum policy_verdict {
        POLICY_PAY,            /* claim and pay it now */
        POLICY_DEFER_DAILY,    /* would pass daily_refund_limit_sats: stays pending */
        POLICY_MANUAL,         /* over max_refund_sats: never claimed, settled by hand */
        POLICY_NEEDS_APPROVAL, /* over the executor's threshold without approval */
        POLICY_INVALID,        /* wrong: bad destination, more than the invoice allows */
};

const char *policy_verdict_name(enum policy_verdict v);

/* One pending refund as read from the database, with its invoice's figures. */
struct policy_refund {
        const char *id;
        int64_t amount_sats;
        const char *destination;
        const char *destination_type; /* as the row says */
        const char *payout_backend;   /* "lightning" or "bitcoin", as the row says */
        const char *approval_status;
        int64_t invoice_paid_sats;
        int64_t invoice_other_sats; /* the invoice's other pending+processing+succeeded */
};

/* What this store and backend already paid or have in flight today (UTC). */
struct policy_day {
        int64_t succeeded_sats;
        int64_t processing_sats;
};

/* Judges r against the executor's policy pol for a store on net, at unix
 * time now. Writes why into reason (always, one line). The destination is
 * parsed here, once: *dest holds it whenever the verdict is not
 * POLICY_INVALID, for the caller to pay or judge it with. */
enum policy_verdict policy_check(const struct config_refunds *pol, enum dest_network net,
                                 const struct policy_refund *r, const struct policy_day *day,
                                 int64_t now, struct dest *dest, char *reason, size_t reasonsz);

#endif
