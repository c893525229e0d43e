/* Recording what a backend (or an admin) says about one payment of an
 * invoice, through invoice_payment_record() (sql/005), and what follows from
 * it: the automatic refund of an overpayment when the store asks for one.
 * Used by mark-paid (worker connection) and by the receiver thread (its own
 * connection); both block on the database. */
#ifndef QPAYD_API_PAYMENTS_H
#define QPAYD_API_PAYMENTS_H

#include <stdint.h>

#include "config.h"
#include "db.h"

struct payment_obs {
        const char *store, *invoice;
        const char *method;    /* "lightning", "onchain" or "manual" */
        const char *reference; /* payment hash, "txid:vout", or a manual id */
        int64_t amount_sats;
        long confirmations;
        const char *state;  /* "seen", "credited" or "removed" */
        const char *actor;  /* "lightning", "onchain", "admin" */
        const char *detail; /* JSON object text, or NULL */
};

struct payment_result {
        int found;   /* the invoice exists */
        int changed; /* the payment's state changed (an event was written) */
        char status[16];
        int64_t amount_sats, amount_paid_sats;
        char *refund_destination; /* owned, or NULL */
};

/* Records o in one statement (atomic on its own). 0 with out filled (free it
 * with payments_result_free), or -1 with *err and db->last_error. */
int payments_record(struct db *db, const struct payment_obs *o, struct payment_result *out,
                    enum db_err *err);
void payments_result_free(struct payment_result *r);

/* When store has auto_refund_overpayment, the invoice is overpaid and has a
 * refund_destination: creates the refund of the excess once per invoice
 * (Idempotency-Key "auto_overpayment:<invoice>"), through the same plan and
 * statement as any refund. 1 when created, 0 when nothing was to be done (or
 * it exists already), -1 on an error (logged). */
int payments_auto_refund(struct db *db, const struct config_store *store, const char *invoice,
                         const struct payment_result *res);

/* The receiver's recording: payments_record, logged, then the automatic
 * refund when the payment was credited. 0, or -1 when it could not be
 * recorded (logged; the caller must read it again later). */
int payments_observe(struct db *db, const struct config_store *store, const struct payment_obs *o);

#endif
