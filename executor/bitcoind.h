/* bitcoind on-chain payouts: JSON-RPC request bodies (legacy mode), the
 * classification of the sendtoaddress answer, and the lookups reconcile uses
 * (gettransaction, listtransactions by comment). Amounts are read from the
 * raw response text and written from integer satoshis, never through a
 * double. These are pure (tested without a network); bitcoind_backend, the
 * payout backend (executor/backend.h), makes the calls. */
#ifndef QPAYD_BITCOIND_H
#define QPAYD_BITCOIND_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "btcrpc.h"
#include "config.h"
#include "httpc.h"
#include "outcome.h"

/* Positional sendtoaddress params:
 * [address, "<amount BTC, 8 decimals>", comment, "", subtract_fee, true]
 * (comment_to empty, subtractfeefromamount as given: the customer pays the
 * fee, replaceable true). The comment is the refund id, which reconcile
 * searches for. Returns a malloc'd string, or NULL when sats is not
 * 1..AMOUNT_MAX_SATS. */
char *bitcoind_sendtoaddress_params(const char *address, int64_t sats, const char *comment,
                                    int subtract_fee);

/* Classifies the sendtoaddress answer. SUCCEEDED means a transaction was
 * created and handed to the wallet (tx_id set, fee_sats -1): "sent", not
 * "confirmed". Returns out->outcome. */
enum outcome bitcoind_classify_send(const struct httpc_response *resp, struct payout_result *out);

/* Reads a gettransaction answer: tx_id, fee_sats (= -fee) and confirmations
 * from the raw text. SUCCEEDED when the wallet has it with confirmations >= 0,
 * UNKNOWN when conflicted (negative) or the answer is unreadable, NOT_FOUND
 * on -5 (unknown txid). Returns out->outcome. */
enum outcome bitcoind_parse_gettransaction(const struct httpc_response *resp,
                                           struct payout_result *out);

/* The wallet's view of a transaction it sent, from a gettransaction answer:
 * DROPPED on -5 (the wallet does not have it) or a detail marked abandoned
 * while unconfirmed; CONFLICTED at a negative depth, or unconfirmed with
 * walletconflicts; SEEN with confirmations otherwise; UNKNOWN when the answer
 * proves nothing. fee_sats (= -fee) when the answer has it, else -1. */
void bitcoind_classify_tx_view(const struct httpc_response *resp, struct payout_tx_view *v);

/* Searches a listtransactions answer (the whole JSON-RPC response text, len
 * bytes, NUL terminated) for `send` entries whose comment is refund_id.
 * SUCCEEDED with tx_id, fee_sats and confirmations when one transaction
 * matches (or several, of which exactly one is confirmed: fee bumps);
 * UNKNOWN when the answer is unreadable or several unconfirmed transactions
 * match (tx_id is the first); NOT_FOUND when none matches -- which only means
 * "not among the entries listed": the caller must list far enough back. */
enum outcome bitcoind_find_send_by_comment(const char *text, size_t len, const char *refund_id,
                                           struct payout_result *out);

/* The payout backend: sendtoaddress, lookup by wallet comment, the guard's
 * second line, audit, check-config. */
extern const struct payout_backend bitcoind_backend;

#endif
