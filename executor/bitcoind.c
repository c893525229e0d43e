#include "bitcoind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "hex.h"
#include "journal.h"
#include "jsontext.h"
#include "payable.h"
#include "sendseen.h"

char *
bitcoind_sendtoaddress_params(const char *address, int64_t sats, const char *comment,
                              int subtract_fee)
{
        char btc[AMOUNT_BTC_STRLEN];
        char *s = NULL;
        if (address == NULL || sats < 1 || amount_format_btc(sats, btc, sizeof(btc)) != 0)
                return NULL;
        cJSON *a = cJSON_CreateArray();
        if (a == NULL)
                return NULL;
        /* The amount goes as a string: bitcoind takes "0.00002000" exactly,
         * and no double ever holds it. */
        if (!cJSON_AddItemToArray(a, cJSON_CreateString(address)) ||
            !cJSON_AddItemToArray(a, cJSON_CreateString(btc)) ||
            !cJSON_AddItemToArray(a, cJSON_CreateString(comment ? comment : "")) ||
            !cJSON_AddItemToArray(a, cJSON_CreateString("")) ||
            !cJSON_AddItemToArray(a, cJSON_CreateBool(subtract_fee != 0)) ||
            !cJSON_AddItemToArray(a, cJSON_CreateTrue()))
                goto out;
        s = cJSON_PrintUnformatted(a);
out:
        cJSON_Delete(a);
        return s;
}

/* An RPC error from a legacy JSON-RPC body: 1 with code and message, 0 when
 * error is null, -1 when the body is not a JSON-RPC answer. */
static int
bitcoind_rpc_error(const cJSON *root, long *code, char *msg, size_t msgsz)
{
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (!cJSON_IsObject(root) || err == NULL)
                return -1;
        if (cJSON_IsNull(err))
                return 0;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
        /* RPC codes are small; the range test comes before the conversion,
         * which is undefined outside long's range. */
        if (!cJSON_IsNumber(c) || !(c->valuedouble >= -1e9 && c->valuedouble <= 1e9) ||
            c->valuedouble != (double)(long)c->valuedouble)
                return -1;
        *code = (long)c->valuedouble;
        httpc_excerpt(cJSON_IsString(m) ? m->valuestring : "",
                      cJSON_IsString(m) ? strlen(m->valuestring) : 0, msg, msgsz);
        return 1;
}

/* What a sendtoaddress error code proves. Only codes raised before a
 * transaction exists prove that nothing was paid. */
static enum outcome
bitcoind_send_error(long code, const char *msg, struct payout_result *out)
{
        switch (code) {
        case -6: /* every transaction-building failure: none was created */
                return outcome_set(out, OUTCOME_DEFERRED, "bitcoind %ld: %s", code, msg);
        case -5: /* invalid address */
        case -3: /* invalid amount */
                return outcome_set(out, OUTCOME_FAILED, "bitcoind %ld: %s", code, msg);
        case -13: /* wallet locked */
        case -18: /* wallet not found */
        case -19: /* wallet not specified */
        case -28: /* warming up */
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "bitcoind %ld (needs the node or an "
                                   "operator): %s",
                                   code, msg);
        case -32601: /* method not found: nothing ran */
        case -32600: /* invalid request */
        case -32700: /* parse error */
                return outcome_set(out, OUTCOME_DEFERRED, "bitcoind %ld (needs an operator): %s",
                                   code, msg);
        default:
                return outcome_set(out, OUTCOME_UNKNOWN, "bitcoind %ld: %s", code, msg);
        }
}

enum outcome
bitcoind_classify_send(const struct httpc_response *resp, struct payout_result *out)
{
        char text[200], msg[201];
        long code = 0;
        enum outcome o;
        outcome_result_init(out);
        if (resp->err != HTTPC_OK) {
                if (!resp->sent)
                        return outcome_set(out, OUTCOME_DEFERRED, "bitcoind not reached: %s",
                                           resp->errmsg);
                return outcome_set(out, OUTCOME_UNKNOWN, "no answer after sending: %s",
                                   resp->errmsg);
        }
        httpc_excerpt(resp->body, resp->len, text, sizeof(text));
        switch (resp->status) {
        case 401:
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "bad credential (needs an operator): HTTP 401");
        case 403:
                return outcome_set(out, OUTCOME_DEFERRED,
                                   "sendtoaddress not allowed by rpcwhitelist (needs an "
                                   "operator): HTTP 403");
        case 503:
                if (outcome_contains(text, "Work queue depth exceeded"))
                        return outcome_set(out, OUTCOME_DEFERRED, "bitcoind busy: %s", text);
                return outcome_set(out, OUTCOME_UNKNOWN, "bitcoind answered HTTP 503: %s", text);
        default:
                break;
        }
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        int e = bitcoind_rpc_error(root, &code, msg, sizeof(msg));
        /* An error object is bitcoind's own answer whatever the status:
         * legacy mode sends it with 500/404/400, JSON-RPC 2.0 with 200. */
        if (e == 1) {
                o = bitcoind_send_error(code, msg, out);
        } else if (e == 0 && resp->status == 200) {
                const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "result");
                const cJSON *txid =
                    cJSON_IsObject(r) ? cJSON_GetObjectItemCaseSensitive(r, "txid") : r;
                if (cJSON_IsString(txid) && hex_copy64(out->tx_id, txid->valuestring) == 0)
                        o = outcome_set(out, OUTCOME_SUCCEEDED, "sent");
                else
                        o = outcome_set(out, OUTCOME_UNKNOWN, "answer without a txid");
        } else {
                o = outcome_set(out, OUTCOME_UNKNOWN, "unreadable answer, HTTP %ld: %s",
                                resp->status, text);
        }
        cJSON_Delete(root);
        return o;
}

/* Reads an integer written in JSON text (optional '-', digits). */
static int
bitcoind_parse_int(const char *p, size_t len, int64_t *out)
{
        size_t i = 0;
        int64_t v = 0;
        int neg = len > 0 && p[0] == '-';
        i = (size_t)neg;
        if (i == len)
                return -1;
        for (; i < len; i++) {
                if (p[i] < '0' || p[i] > '9' || v > 100000000000LL)
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        *out = neg ? -v : v;
        return 0;
}

/* Fee and confirmations of one transaction object's raw text. A missing fee
 * leaves fee_sats at -1. Returns 0, or -1 on an unreadable value. */
static int
bitcoind_raw_fee_confs(const char *obj, size_t len, struct payout_result *out)
{
        size_t off, vlen;
        int64_t v;
        if (jsontext_raw_member(obj, len, "confirmations", &off, &vlen) != 0 ||
            bitcoind_parse_int(obj + off, vlen, &v) != 0)
                return -1;
        out->confirmations = v;
        if (jsontext_raw_member(obj, len, "fee", &off, &vlen) == 0) {
                /* A send's fee is negative: -0.00000141 is 141 sats paid. */
                if (amount_parse_btc(obj + off, vlen, &v) != 0 || v > 0)
                        return -1;
                out->fee_sats = -v;
        }
        return 0;
}

enum outcome
bitcoind_parse_gettransaction(const struct httpc_response *resp, struct payout_result *out)
{
        char msg[201]; /* at most 200 characters of the node's message */
        long code = 0;
        size_t off, vlen;
        enum outcome o;
        outcome_result_init(out);
        if (resp->err != HTTPC_OK)
                return outcome_set(out, OUTCOME_UNKNOWN, "lookup failed: %s", resp->errmsg);
        /* Read as a tree and as text (fee, confirmations): they must agree. */
        cJSON *root = btcrpc_parse_exact(resp->body, resp->len);
        int e = bitcoind_rpc_error(root, &code, msg, sizeof(msg));
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "result");
        const cJSON *txid = cJSON_GetObjectItemCaseSensitive(r, "txid");
        if (e == 1 && code == -5) {
                o = outcome_set(out, OUTCOME_NOT_FOUND, "bitcoind: %s", msg);
        } else if (e == 1) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "bitcoind %ld: %s", code, msg);
        } else if (e != 0 || resp->status != 200 || !cJSON_IsObject(r) || !cJSON_IsString(txid) ||
                   hex_copy64(out->tx_id, txid->valuestring) != 0 ||
                   jsontext_raw_member(resp->body, resp->len, "result", &off, &vlen) != 0 ||
                   bitcoind_raw_fee_confs(resp->body + off, vlen, out) != 0) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "unreadable gettransaction answer");
        } else if (out->confirmations < 0) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "transaction conflicted (%lld confirmations)",
                                (long long)out->confirmations);
        } else {
                o = outcome_set(out, OUTCOME_SUCCEEDED, "in the wallet, %lld confirmations",
                                (long long)out->confirmations);
        }
        cJSON_Delete(root);
        return o;
}

void
bitcoind_classify_tx_view(const struct httpc_response *resp, struct payout_tx_view *v)
{
        struct payout_result r;
        enum outcome o = bitcoind_parse_gettransaction(resp, &r);
        memset(v, 0, sizeof(*v));
        v->fee_sats = r.fee_sats;
        v->confirmations = r.confirmations;
        if (o == OUTCOME_NOT_FOUND) {
                v->state = PAYOUT_TX_DROPPED;
                snprintf(v->reason, sizeof(v->reason), "the wallet does not have it (%.200s)",
                         r.reason);
                return;
        }
        if (r.tx_id[0] != '\0' && r.confirmations < 0) {
                v->state = PAYOUT_TX_CONFLICTED;
                snprintf(v->reason, sizeof(v->reason),
                         "a conflicting transaction is %lld blocks deep",
                         (long long)-r.confirmations);
                return;
        }
        if (o != OUTCOME_SUCCEEDED) {
                v->state = PAYOUT_TX_UNKNOWN;
                snprintf(v->reason, sizeof(v->reason), "%s", r.reason);
                return;
        }
        v->state = PAYOUT_TX_SEEN;
        cJSON *root = cJSON_ParseWithLength(resp->body, resp->len);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(res, "walletconflicts");
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(res, "details");
        const cJSON *d;
        /* Unconfirmed with a conflict in the wallet: replaced (RBF) or
         * double-spent; the customer may never get this one. */
        if (r.confirmations == 0 && cJSON_GetArraySize(conf) > 0) {
                const cJSON *first = cJSON_GetArrayItem(conf, 0);
                v->state = PAYOUT_TX_CONFLICTED;
                snprintf(v->reason, sizeof(v->reason), "unconfirmed, in conflict with %.64s",
                         cJSON_IsString(first) ? first->valuestring : "another transaction");
        }
        cJSON_ArrayForEach(d, details)
        {
                if (cJSON_IsArray(details) && r.confirmations <= 0 &&
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "abandoned"))) {
                        v->state = PAYOUT_TX_DROPPED;
                        snprintf(v->reason, sizeof(v->reason),
                                 "abandoned by the wallet (not in the mempool)");
                        break;
                }
        }
        cJSON_Delete(root);
}

enum outcome
bitcoind_find_send_by_comment(const char *text, size_t len, const char *refund_id,
                              struct payout_result *out)
{
        char msg[201]; /* at most 200 characters of the node's message */
        long code;
        size_t aoff, alen;
        int matches = 0, confirmed = 0, distinct = 0;
        enum outcome o = OUTCOME_UNKNOWN;
        struct payout_result first, best;
        outcome_result_init(out);
        outcome_result_init(&first);
        outcome_result_init(&best);
        /* Read as a tree and as text (fee, confirmations): they must agree. */
        cJSON *root = btcrpc_parse_exact(text, len);
        int e = bitcoind_rpc_error(root, &code, msg, sizeof(msg));
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "result");
        if (e == 1) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "bitcoind %ld: %s", code, msg);
                goto done;
        }
        if (e != 0 || !cJSON_IsArray(arr) || refund_id == NULL ||
            jsontext_raw_member(text, len, "result", &aoff, &alen) != 0) {
                o = outcome_set(out, OUTCOME_UNKNOWN, "unreadable listtransactions answer");
                goto done;
        }
        int idx = 0;
        const cJSON *tx;
        cJSON_ArrayForEach(tx, arr)
        {
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(tx, "category");
                const cJSON *com = cJSON_GetObjectItemCaseSensitive(tx, "comment");
                const cJSON *txid = cJSON_GetObjectItemCaseSensitive(tx, "txid");
                int i = idx++;
                if (!cJSON_IsString(cat) || strcmp(cat->valuestring, "send") != 0 ||
                    !cJSON_IsString(com) || strcmp(com->valuestring, refund_id) != 0)
                        continue;
                struct payout_result cur;
                size_t eoff, elen;
                outcome_result_init(&cur);
                if (!cJSON_IsString(txid) || hex_copy64(cur.tx_id, txid->valuestring) != 0 ||
                    jsontext_raw_element(text + aoff, alen, i, &eoff, &elen) != 0 ||
                    bitcoind_raw_fee_confs(text + aoff + eoff, elen, &cur) != 0) {
                        /* Our refund was sent, but this entry cannot be read. */
                        o = outcome_set(out, OUTCOME_UNKNOWN,
                                        "unreadable send entry with comment %.64s", refund_id);
                        goto done;
                }
                if (matches++ == 0)
                        first = cur;
                else if (strcmp(cur.tx_id, first.tx_id) != 0)
                        distinct++;
                if (cur.confirmations > 0 && (confirmed == 0 || strcmp(cur.tx_id, best.tx_id))) {
                        confirmed++;
                        best = cur;
                }
        }
        if (matches == 0) {
                o = outcome_set(out, OUTCOME_NOT_FOUND, "no send with comment %.64s", refund_id);
        } else if (distinct == 0) {
                *out = first;
                o = out->confirmations >= 0
                        ? outcome_set(out, OUTCOME_SUCCEEDED, "sent, %lld confirmations",
                                      (long long)out->confirmations)
                        : outcome_set(out, OUTCOME_UNKNOWN, "send conflicted");
        } else if (confirmed == 1) {
                *out = best;
                o = outcome_set(out, OUTCOME_SUCCEEDED,
                                "sent (one of %d fee-bumped versions "
                                "confirmed)",
                                matches);
        } else {
                *out = first;
                o = outcome_set(out, OUTCOME_UNKNOWN,
                                "%d transactions carry comment %.64s: wait or ask an operator",
                                distinct + 1, refund_id);
        }
done:
        cJSON_Delete(root);
        return o;
}

/* listtransactions "*" count 0 on b's wallet (the last count transactions,
 * a read that pays nothing) into resp (the caller frees it); id names the
 * JSON-RPC request. Returns 1 when the answer is a list shorter than count,
 * so that it holds the wallet's whole history, else 0. */
static int
bitcoind_list_recent(const struct config_backend *b, int count, int timeout, const char *id,
                     struct httpc_response *resp)
{
        char params[64];
        snprintf(params, sizeof(params), "[\"*\", %d, 0]", count);
        struct btcrpc node = {.url = b->url,
                              .wallet = b->wallet,
                              .rpc_auth = b->rpc_auth,
                              .connect_timeout_secs = 10,
                              .timeout_secs = timeout};
        btcrpc_post(&node, "listtransactions", params, id, resp);
        cJSON *root = resp->body ? cJSON_ParseWithLength(resp->body, resp->len) : NULL;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "result");
        int complete = cJSON_IsArray(list) && cJSON_GetArraySize(list) < count;
        cJSON_Delete(root);
        return complete;
}

/* --- the payout backend (executor/backend.h) --- */

/* How far back the wallet's history is read to find a refund's send. */
#define BITCOIND_TX_WINDOW 10000

static int
bitcoind_supports(const struct dest *d, char *why, size_t whysz)
{
        return payable_check("bitcoind", d->type, why, whysz);
}

static struct btcrpc
bitcoind_node(const struct config_backend *b, int timeout)
{
        return (struct btcrpc){.url = b->url,
                               .wallet = b->wallet,
                               .rpc_auth = b->rpc_auth,
                               .connect_timeout_secs = 10,
                               .timeout_secs = timeout};
}

/* How long the fee lookup after a send may take. */
#define BITCOIND_FEE_TIMEOUT 5

/* gettransaction txid on b's wallet, classified. */
static void
bitcoind_tx_view(const struct config_backend *b, int timeout, const char *txid,
                 struct payout_tx_view *out)
{
        char params[80];
        memset(out, 0, sizeof(*out));
        out->fee_sats = -1;
        if (!hex_is64(txid)) {
                out->state = PAYOUT_TX_UNKNOWN;
                snprintf(out->reason, sizeof(out->reason), "not a txid");
                return;
        }
        snprintf(params, sizeof(params), "[\"%s\"]", txid);
        struct btcrpc node = bitcoind_node(b, timeout);
        struct httpc_response resp;
        btcrpc_post(&node, "gettransaction", params, "watch", &resp);
        bitcoind_classify_tx_view(&resp, out);
        httpc_response_free(&resp);
}

/* sendtoaddress on the named wallet, the refund id as its comment. A
 * request that cannot be built is never sent, and classified as deferred. */
static enum outcome
bitcoind_pay(const struct payout_call *call, struct payout_result *out)
{
        char *params = bitcoind_sendtoaddress_params(call->destination, call->amount_sats,
                                                     call->refund_id, call->subtract_fee);
        if (params == NULL)
                return outcome_set(out, OUTCOME_DEFERRED, "cannot build the sendtoaddress call");
        struct btcrpc node = bitcoind_node(call->backend, call->timeout_seconds);
        struct httpc_response resp;
        btcrpc_post(&node, "sendtoaddress", params, call->refund_id, &resp);
        free(params);
        enum outcome o = bitcoind_classify_send(&resp, out);
        httpc_response_free(&resp);
        if (o == OUTCOME_SUCCEEDED) {
                /* The fee, from the wallet (a read; short: the payout's time
                 * is bounded for reconcile). Unknown now, the chain watch
                 * records it later. */
                struct payout_tx_view v;
                bitcoind_tx_view(call->backend,
                                 call->timeout_seconds < BITCOIND_FEE_TIMEOUT
                                     ? call->timeout_seconds
                                     : BITCOIND_FEE_TIMEOUT,
                                 out->tx_id, &v);
                if (v.fee_sats >= 0)
                        out->fee_sats = v.fee_sats;
        }
        return o;
}

/* The send whose wallet comment is the refund id. Its absence proves
 * nothing was sent only when the whole history was read. */
static enum outcome
bitcoind_lookup(const struct payout_lookup *q, struct payout_result *out)
{
        struct httpc_response resp;
        int complete = bitcoind_list_recent(q->backend, BITCOIND_TX_WINDOW, q->timeout_seconds,
                                            q->refund_id, &resp);
        enum outcome o = resp.body
                             ? bitcoind_find_send_by_comment(resp.body, resp.len, q->refund_id, out)
                             : outcome_set(out, OUTCOME_UNKNOWN, "%s", resp.errmsg);
        if (o == OUTCOME_NOT_FOUND) {
                if (complete)
                        outcome_set(out, OUTCOME_FAILED,
                                    "no wallet transaction carries this "
                                    "refund's id: nothing was sent");
                else
                        outcome_set(out, OUTCOME_UNKNOWN,
                                    "not in the last %d wallet "
                                    "transactions: look it up by hand",
                                    BITCOIND_TX_WINDOW);
        }
        httpc_response_free(&resp);
        return out->outcome;
}

/* Second line: a send whose comment is the refund id means it was already
 * paid. The wallet's sends are looked at incrementally (executor/sendseen.c,
 * one view per process: the pass's thread alone calls this); only a refund
 * found there costs the full listing that classifies its send. */
static void
bitcoind_already_paid(const struct config_backend *b, int timeout, struct payout_prior *c, int n)
{
        struct btcrpc node = bitcoind_node(b, timeout);
        char err[300];
        struct sendseen *seen = sendseen_refresh(&node, err, sizeof(err));
        int hits = 0;
        for (int i = 0; i < n; i++) {
                if (c[i].pre->outcome != OUTCOME_NOT_FOUND)
                        continue;
                if (seen == NULL)
                        outcome_set(c[i].pre, OUTCOME_DEFERRED,
                                    "cannot ask bitcoind whether it was already paid (%s): "
                                    "not sent, back to pending",
                                    err);
                else
                        hits += sendseen_has(seen, c[i].refund_id);
        }
        if (hits == 0)
                return;
        char params[64];
        snprintf(params, sizeof(params), "[\"*\", %d, 0]", SENDSEEN_WINDOW);
        struct httpc_response resp;
        btcrpc_post(&node, "listtransactions", params, "guard", &resp);
        for (int i = 0; i < n; i++) {
                struct payout_result *pre = c[i].pre;
                if (pre->outcome != OUTCOME_NOT_FOUND || !sendseen_has(seen, c[i].refund_id))
                        continue;
                struct payout_result r;
                enum outcome o =
                    resp.status == 200 && resp.body
                        ? bitcoind_find_send_by_comment(resp.body, resp.len, c[i].refund_id, &r)
                        : outcome_set(&r, OUTCOME_UNKNOWN, "%s", resp.errmsg);
                *pre = r;
                if (o == OUTCOME_SUCCEEDED)
                        outcome_set(pre, OUTCOME_SUCCEEDED,
                                    "already paid: bitcoind's wallet has send %s with this "
                                    "refund's id; not paid again",
                                    r.tx_id);
                else /* listed a moment ago: never paid again on a doubt */
                        outcome_set(pre, OUTCOME_UNKNOWN,
                                    "bitcoind's wallet holds a send of this refund (%s): not "
                                    "paid again; reconcile settles it",
                                    r.reason);
        }
        httpc_response_free(&resp);
}

/* The journal's paid refunds of this store, looked for in the wallet. */
static void
bitcoind_audit(const struct payout_audit *a)
{
        struct httpc_response resp;
        int complete = bitcoind_list_recent(a->backend, BITCOIND_TX_WINDOW, a->timeout_seconds,
                                            "audit", &resp);
        if (resp.status != 200 || resp.body == NULL) {
                char what[320];
                snprintf(what, sizeof(what), "bitcoind could not be asked (%s)", resp.errmsg);
                a->say(a->ctx, a->store->id, NULL, what);
        }
        for (size_t i = 0; i < journal_count(a->journal) && resp.status == 200 && resp.body; i++) {
                const struct journal_entry *e = journal_at(a->journal, i);
                if (e->state != JOURNAL_SUCCEEDED || strcmp(e->store, a->store->id) != 0 ||
                    strcmp(e->backend, a->role) != 0)
                        continue;
                struct payout_result res;
                if (bitcoind_find_send_by_comment(resp.body, resp.len, e->id, &res) ==
                        OUTCOME_NOT_FOUND &&
                    complete)
                        a->say(a->ctx, a->store->id, e->id,
                               "paid in the journal, but bitcoind's wallet has no send with "
                               "this refund's id");
        }
        httpc_response_free(&resp);
}

/* The wallet's confirmed balance in sats, read exactly from getwalletinfo's
 * text ("balance", BTC). 0, or -1. */
static int
bitcoind_wallet_balance(const struct btcrpc_reply *r, int64_t *sats)
{
        size_t off, len, boff, blen;
        const char *t = r->http.body;
        if (t == NULL || jsontext_raw_member(t, r->http.len, "result", &off, &len) != 0 ||
            jsontext_raw_member(t + off, len, "balance", &boff, &blen) != 0)
                return -1;
        return amount_parse_btc(t + off + boff, blen, sats);
}

/* getwalletinfo on the payout wallet: reachable, able to sign, its balance,
 * and whether it is locked (encrypted with unlocked_until 0: sends fail
 * with -13 until walletpassphrase). Locked is a warning: unlocking is the
 * operator's step, not the configuration's. */
static int
bitcoind_check(const struct config_store *s, const struct config_backend *b, FILE *out, FILE *err)
{
        if (b->rpc_auth == NULL) {
                fprintf(err,
                        "store %s: bitcoin_payout bitcoind %s: ERROR rpc_auth_env is not set: "
                        "refunds cannot be paid\n",
                        s->id, b->url);
                return 1;
        }
        struct btcrpc node = bitcoind_node(b, 10);
        struct btcrpc_reply r;
        int64_t sats = 0;
        int bad = 1;
        if (btcrpc_call(&node, "getwalletinfo", NULL, &r) != 0)
                fprintf(err, "store %s: bitcoin_payout bitcoind %s: ERROR wallet %s: %s\n", s->id,
                        b->url, b->wallet, r.error);
        else if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.result, "private_keys_enabled")))
                fprintf(err,
                        "store %s: bitcoin_payout bitcoind %s: ERROR wallet %s is watch-only: it "
                        "cannot pay refunds\n",
                        s->id, b->url, b->wallet);
        else if (bitcoind_wallet_balance(&r, &sats) != 0)
                fprintf(err,
                        "store %s: bitcoin_payout bitcoind %s: ERROR wallet %s: getwalletinfo has "
                        "no balance\n",
                        s->id, b->url, b->wallet);
        else
                bad = 0;
        if (!bad) {
                const cJSON *until = cJSON_GetObjectItemCaseSensitive(r.result, "unlocked_until");
                int locked = cJSON_IsNumber(until) && until->valuedouble <= 0;
                fprintf(out,
                        "store %s: bitcoin_payout bitcoind %s: ok (wallet %s, balance %lld sats, "
                        "%s)\n",
                        s->id, b->url, b->wallet, (long long)sats,
                        !cJSON_IsNumber(until) ? "not encrypted"
                        : locked               ? "locked"
                                               : "unlocked");
                if (locked)
                        fprintf(out,
                                "store %s: bitcoin_payout bitcoind %s: warning: wallet %s is "
                                "locked: the executor cannot pay on-chain refunds until it is "
                                "unlocked (bitcoin-cli -rpcwallet=%s walletpassphrase ...)\n",
                                s->id, b->url, b->wallet, b->wallet);
        }
        btcrpc_reply_free(&r);
        return bad;
}

const struct payout_backend bitcoind_backend = {
    .name = "bitcoind",
    .supports = bitcoind_supports,
    .pay = bitcoind_pay,
    .lookup = bitcoind_lookup,
    .already_paid = bitcoind_already_paid,
    .audit = bitcoind_audit,
    .tx_view = bitcoind_tx_view,
    .check = bitcoind_check,
};
