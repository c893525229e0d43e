/* Was the invoice really paid? The executor asks its own receive backends,
 * with read-only credentials from its own config, before it pays a refund:
 * phoenixd GET /payments/incoming/{hash} (limited password) for Lightning
 * payments, bitcoind gettransaction on the store's watch-only wallet for
 * on-chain ones. The rows in invoice_payments only say where to look: the
 * public host can write them. The amount the backends prove, not
 * amount_paid_sats, bounds what the invoice's refunds may take.
 *
 * Backend calls happen in verify_prefetch, outside the claim transaction
 * (no row lock is held while a backend answers); inside it,
 * verify_claim_begin locks the batch's invoices and sums their refunds, and
 * verify_refund compares each refund with the cached proof. */
#ifndef QPAYD_EXECUTOR_VERIFY_H
#define QPAYD_EXECUTOR_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "config.h"

struct record_session;

enum verify_verdict {
        VERIFY_PAY,            /* proven payments cover this refund and the invoice's others */
        VERIFY_UNPROVEN,       /* not paid, unknown, lower, unconfirmed, no credential: pending */
        VERIFY_NEEDS_APPROVAL, /* only a manual (mark-paid) payment covers it: it needs a
                                * signed approval (approval_verified, section 4) or settling
                                * by hand */
        VERIFY_BACKEND_DOWN,   /* a receive backend did not answer: deferred, next pass retries */
        VERIFY_NOT_CHECKED,    /* the invoice was not verified before this claim: next pass */
};

const char *verify_verdict_name(enum verify_verdict v);
/* The refund event written (once) for a verdict other than VERIFY_PAY and
 * VERIFY_NOT_CHECKED. */
const char *verify_event_name(enum verify_verdict v);

/* One pass's proofs, one per invoice: a batch of refunds of one invoice
 * asks the backends once. */
struct verify_cache;
struct verify_cache *verify_cache_new(void);
void verify_cache_free(struct verify_cache *c);

/* For every invoice of rows (a Q_CANDIDATES result: CAND_INVOICE_ID) not in
 * the cache yet, reads its payment rows and asks the store's receive
 * backends about each. Call outside any transaction. 0, or -1 on a database
 * error (the invoices not verified are VERIFY_NOT_CHECKED). */
int verify_prefetch(struct record_session *rs, struct verify_cache *c, const struct config_store *s,
                    const PGresult *rows);

/* Inside the claim transaction, right after the batch is locked (rows: the
 * Q_CLAIM result): takes a transaction lock per invoice of the batch, all in
 * one statement in a fixed order (so executors never deadlock), then reads
 * what each invoice's processing and succeeded refunds already take. The
 * locks are held to commit; no backend is called under them. -1 on a
 * database error. */
int verify_claim_begin(struct record_session *rs, struct verify_cache *c,
                       const struct config_store *s, const PGresult *rows);

/* May the refund of amount_sats of invoice be paid? Compares the invoice's
 * refunds (as read by verify_claim_begin, plus those claimed since) and
 * this one with the cached proof. why gets one line naming the payment or
 * figure that was wrong. */
void verify_refund(struct verify_cache *c, const struct config_store *s, const char *invoice,
                   int64_t amount_sats, enum verify_verdict *out, char *why, size_t whysz);

/* A refund of invoice was claimed in this transaction: it now takes its
 * share of the proof. */
void verify_claimed(struct verify_cache *c, const struct config_store *s, const char *invoice,
                    int64_t amount_sats);

/* check-config: reaches each store's receive backends with the executor's
 * credentials, with calls that cannot pay (getinfo, a parameterless
 * payinvoice that must get 401, getwalletinfo), and refuses a phoenixd
 * password that opens payinvoice or a bitcoind wallet with private keys.
 * Warns about stores whose refunds of a method cannot be verified. Returns
 * the number of backends in error. */
int verify_reach_check(const struct config *cfg, FILE *out, FILE *err);

#endif
