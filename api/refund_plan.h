/* How a refund will be paid, decided from the store's configuration before
 * anything is written: the destination parsed for the store's network, the
 * payout backend, whether approval is required, and whether the executor may
 * pay it (execution auto) or it is settled by hand (manual, with why). Used by
 * the refund create route and by automatic overpayment refunds. */
#ifndef QPAYD_API_REFUND_PLAN_H
#define QPAYD_API_REFUND_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dest.h"

struct refund_plan {
        int64_t amount_sats;
        const char *destination; /* borrowed */
        const char *reason;      /* borrowed; may be NULL */
        struct dest dest;
        const char *backend;   /* "lightning" or "bitcoin" */
        const char *approval;  /* "not_required" or "required" */
        const char *execution; /* "auto" or "manual" */
        char execution_reason[200];
        /* The shop's fields (refund_fields.h), stored as given; refund_plan_make
         * leaves them NULL and false. */
        const char *reference; /* borrowed */
        const char *metadata;  /* borrowed JSON text */
        bool buyer_pays_fee;
};

/* Fills out for amount_sats to destination. 0, or -1 with *status (400 or
 * 500), *code (e.g. "invalid_destination") and msg naming what was wrong. */
int refund_plan_make(const struct config_store *store, int64_t amount_sats, const char *destination,
                     const char *reason, struct refund_plan *out, int *status, const char **code,
                     char *msg, size_t msgsz);

/* The "created" event's detail (malloc'd JSON text, or NULL). claim: a
 * refund the customer claims, which has no destination yet: the amount and
 * "claim": true only. */
char *refund_plan_detail(const struct refund_plan *p, const char *request_id, bool claim);

/* What STMT_REFUND_CREATE needs besides the plan. Strings are borrowed. */
struct refund_plan_row {
        const char *id, *store, *invoice, *actor, *detail, *window;
        const char *idem_key, *idem_role, *idem_fingerprint; /* NULL: no key */
        /* The store's one_refund_in_flight, for a refund the shop asks for;
         * false for an automatic one (sql/012). */
        bool one_in_flight;
        const char *notification_url; /* NULL: none */
        char amount[24];              /* filled by refund_plan_params */
};
#define REFUND_PLAN_NPARAMS 23
/* The 23 parameters of STMT_REFUND_CREATE, in order, into p. */
void refund_plan_params(const struct refund_plan *plan, struct refund_plan_row *row,
                        const char *p[REFUND_PLAN_NPARAMS]);

#endif
