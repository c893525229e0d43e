/* phoenixd, receive side, with the limited-access password only: create an
 * invoice, look an incoming payment up, check the node's chain, and verify
 * the payment_received webhook (BACKENDS.md, "phoenixd"). The parsers are
 * pure and unit tested; the calls use common/httpc. Shared: qpayd creates
 * invoices with it, and the executor looks payments up itself (verify.c). */
#ifndef QPAYD_LNRECV_H
#define QPAYD_LNRECV_H

#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

/* phoenixd's createinvoice takes at most this many description characters;
 * longer descriptions go as their SHA-256 (descriptionHash). */
#define LNRECV_DESCRIPTION_MAX 128

struct lnrecv {
        const char *url;      /* e.g. http://127.0.0.1:9740 */
        const char *password; /* the limited-access password (borrowed secret) */
        long timeout_secs;    /* total; 0: 10 seconds */
};

struct lnrecv_invoice {
        char payment_hash[65];
        char *bolt11; /* owned: free with lnrecv_invoice_free */
};

struct lnrecv_incoming {
        int paid;             /* isPaid */
        int expired;          /* isExpired */
        int64_t received_sat; /* receivedSat: what is credited */
        int64_t fees_msat;    /* fees */
        char external_id[80]; /* "" when absent */
};

/* The createinvoice form: description when it has at most
 * LNRECV_DESCRIPTION_MAX characters (UTF-8 code points), else
 * descriptionHash = hex SHA-256 of it; amountSat, expirySeconds, externalId,
 * and webhookUrl when not NULL. NULL description: "". malloc'd, or NULL. */
char *lnrecv_createinvoice_form(int64_t amount_sat, const char *description, int64_t expiry_seconds,
                                const char *external_id, const char *webhook_url);

/* Pure parsers of phoenixd answers. 0, or -1 with err set. */
int lnrecv_parse_created(const struct httpc_response *resp, struct lnrecv_invoice *out, char *err,
                         size_t errsz);
/* 1 when phoenixd answered 404 (no such payment), 0 with *out filled, -1 on
 * an error (err set). */
int lnrecv_parse_incoming(const struct httpc_response *resp, const char *payment_hash,
                          struct lnrecv_incoming *out, char *err, size_t errsz);
/* getinfo's chain into chain (e.g. "mainnet", "testnet3"). */
int lnrecv_parse_getinfo(const struct httpc_response *resp, char *chain, size_t chainsz, char *err,
                         size_t errsz);
/* Does phoenixd's chain name belong to the store's network (mainnet,
 * testnet, signet, regtest)? */
int lnrecv_chain_matches(const char *chain, const char *network);

/* The calls. Same returns as the parsers. */
int lnrecv_create_invoice(const struct lnrecv *ln, int64_t amount_sat, const char *description,
                          int64_t expiry_seconds, const char *external_id, const char *webhook_url,
                          struct lnrecv_invoice *out, char *err, size_t errsz);
int lnrecv_incoming(const struct lnrecv *ln, const char *payment_hash, struct lnrecv_incoming *out,
                    char *err, size_t errsz);
int lnrecv_getinfo(const struct lnrecv *ln, char *chain, size_t chainsz, char *err, size_t errsz);
/* Is the configured password really the limited one? Asks POST /payinvoice
 * with no parameters, which pays nothing: 401 = limited (0), 400 "parameter
 * invoice is missing" = the full password (1), -1 when unknown (err set). */
int lnrecv_password_is_full(const struct lnrecv *ln, char *err, size_t errsz);
void lnrecv_invoice_free(struct lnrecv_invoice *inv);

/* The payment_received webhook. verify: X-Phoenix-Signature (hex, any case)
 * against HMAC-SHA256(key = the secret's bytes, the exact body), compared in
 * constant time: 0 when it matches. hash: reads paymentHash (64 hex, lowered)
 * from a verified body: 0, or -1 when the body is not a payment_received
 * event. */
int lnrecv_webhook_verify(const char *secret, const char *body, size_t len, const char *sig_hex);
int lnrecv_webhook_hash(const char *body, size_t len, char hash[65]);

#endif
