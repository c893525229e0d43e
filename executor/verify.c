#include "verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "btcrpc.h"
#include "hex.h"
#include "jsontext.h"
#include "lnrecv.h"
#include "queries.h"
#include "record.h"

/* A receive backend call lasts at most this long: a pass must not stall on
 * a dead node (it is retried next pass). */
#define VERIFY_TIMEOUT_SECS 10

/* What the backends proved about one invoice's payments. */
struct verify_invoice {
        char store[65];
        char id[65];
        int64_t proven_sats; /* what the backends say was received, never more than the rows */
        int64_t manual_sats; /* mark-paid payments: no backend can prove them */
        int down;            /* a backend did not answer */
        char why[300];       /* the first payment that did not verify, and why */
        /* In the current claim transaction (verify_claim_begin): what the
         * invoice's processing and succeeded refunds take, under its lock. */
        bool locked;
        int64_t committed_sats;
};

struct verify_cache {
        struct verify_invoice *items;
        size_t n, cap;
};

const char *
verify_verdict_name(enum verify_verdict v)
{
        switch (v) {
        case VERIFY_PAY:
                return "pay";
        case VERIFY_UNPROVEN:
                return "unproven";
        case VERIFY_NEEDS_APPROVAL:
                return "manual_payment";
        case VERIFY_BACKEND_DOWN:
                return "backend_down";
        case VERIFY_NOT_CHECKED:
                return "not_checked";
        }
        return "unknown";
}

const char *
verify_event_name(enum verify_verdict v)
{
        switch (v) {
        case VERIFY_NEEDS_APPROVAL:
                return "manual_payment";
        case VERIFY_BACKEND_DOWN:
                return "verify_deferred";
        default:
                return "payment_unverified";
        }
}

struct verify_cache *
verify_cache_new(void)
{
        return calloc(1, sizeof(struct verify_cache));
}

void
verify_cache_free(struct verify_cache *c)
{
        if (c == NULL)
                return;
        free(c->items);
        free(c);
}

static struct verify_invoice *
verify_cache_find(struct verify_cache *c, const char *store, const char *id)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->items[i].store, store) == 0 && strcmp(c->items[i].id, id) == 0)
                        return &c->items[i];
        return NULL;
}

/* Notes the first reason an invoice's payment did not verify. */
static void verify_note(struct verify_invoice *inv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
verify_note(struct verify_invoice *inv, const char *fmt, ...)
{
        if (inv->why[0] != '\0')
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(inv->why, sizeof(inv->why), fmt, ap);
        va_end(ap);
}

/* phoenixd, limited password: paid, to this invoice (externalId is the
 * invoice id qpayd gave at createinvoice), for how much. */
static void
verify_lightning(const struct config_store *s, struct verify_invoice *inv, const char *hash,
                 int64_t row_sats)
{
        const struct config_backend *b = &s->lightning;
        if (!b->present || b->limited_api_password == NULL) {
                verify_note(inv,
                            "Lightning payment %.64s cannot be verified: the executor's config has "
                            "no [stores.lightning] limited_api_password_env for store %s",
                            hash, s->id);
                return;
        }
        struct lnrecv ln = {.url = b->url,
                            .password = b->limited_api_password,
                            .timeout_secs = VERIFY_TIMEOUT_SECS};
        struct lnrecv_incoming got;
        char err[320];
        int rc = lnrecv_incoming(&ln, hash, &got, err, sizeof(err));
        if (rc < 0) {
                inv->down = 1;
                verify_note(inv, "phoenixd did not answer about Lightning payment %.64s: %s", hash,
                            err);
        } else if (rc == 1) {
                verify_note(inv, "phoenixd never received Lightning payment %.64s", hash);
        } else if (!got.paid) {
                verify_note(inv, "phoenixd says Lightning payment %.64s is not paid", hash);
        } else if (strcmp(got.external_id, inv->id) != 0) {
                verify_note(inv,
                            "Lightning payment %.64s was made to phoenixd invoice of \"%.64s\", "
                            "not to invoice %s",
                            hash, got.external_id, inv->id);
        } else {
                if (got.received_sat < row_sats)
                        verify_note(inv,
                                    "phoenixd received %" PRId64 " sat for Lightning payment "
                                    "%.64s, the row says %" PRId64,
                                    got.received_sat, hash, row_sats);
                inv->proven_sats += got.received_sat < row_sats ? got.received_sat : row_sats;
        }
}

/* The raw text of result.details[i].amount in a gettransaction answer:
 * amounts are read from the text, never through a double. */
static int
verify_detail_amount(const struct httpc_response *http, int i, int64_t *sats)
{
        size_t roff, rlen, doff, dlen, eoff, elen, aoff, alen;
        const char *t = http->body;
        if (t == NULL || jsontext_raw_member(t, http->len, "result", &roff, &rlen) != 0 ||
            jsontext_raw_member(t + roff, rlen, "details", &doff, &dlen) != 0)
                return -1;
        const char *d = t + roff + doff;
        if (jsontext_raw_element(d, dlen, i, &eoff, &elen) != 0 ||
            jsontext_raw_member(d + eoff, elen, "amount", &aoff, &alen) != 0)
                return -1;
        return amount_parse_btc(d + eoff + aoff, alen, sats);
}

/* bitcoind, the store's watch-only wallet: the output txid:vout was received
 * at an address labelled with this invoice's id (qpayd's getnewaddress
 * label), at the store's confirmations_required or deeper. */
static void
verify_onchain(const struct config_store *s, struct verify_invoice *inv, const char *reference,
               int64_t row_sats)
{
        const struct config_backend *b = &s->bitcoin;
        char txid[65];
        const char *colon = strchr(reference, ':');
        char *end = NULL;
        long vout = colon ? strtol(colon + 1, &end, 10) : -1;
        char head[65] = "";
        if (colon != NULL && colon - reference == 64) {
                memcpy(head, reference, 64);
                head[64] = '\0';
        }
        if (colon == NULL || colon - reference != 64 || end == colon + 1 || *end != '\0' ||
            vout < 0 || hex_copy64(txid, head) != 0) {
                verify_note(inv, "on-chain payment \"%.80s\" is not txid:vout", reference);
                return;
        }
        if (!b->present || b->rpc_auth == NULL) {
                verify_note(inv,
                            "on-chain payment %s cannot be verified: the executor's config has no "
                            "[stores.bitcoin] rpc_auth_env for store %s",
                            reference, s->id);
                return;
        }
        struct btcrpc w = {.url = b->url,
                           .wallet = b->wallet,
                           .rpc_auth = b->rpc_auth,
                           .timeout_secs = VERIFY_TIMEOUT_SECS};
        char params[96];
        snprintf(params, sizeof(params), "[\"%s\", true]", txid);
        struct btcrpc_reply r;
        if (btcrpc_call(&w, "gettransaction", params, &r) != 0) {
                if (r.code == -5) {
                        verify_note(inv, "bitcoind wallet %s does not know transaction %s",
                                    b->wallet, txid);
                } else {
                        /* No answer, 401/403/503 or another RPC error: nothing is proven
                         * either way, ask again next pass. */
                        inv->down = 1;
                        verify_note(inv, "bitcoind wallet %s: gettransaction %s: %s", b->wallet,
                                    txid, r.error);
                }
                btcrpc_reply_free(&r);
                return;
        }
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(r.result, "confirmations");
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(r.result, "details");
        int found = -1;
        for (int i = 0; i < cJSON_GetArraySize(details); i++) {
                const cJSON *e = cJSON_GetArrayItem(details, i);
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(e, "category");
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "vout");
                if (cJSON_IsString(cat) && strcmp(cat->valuestring, "receive") == 0 &&
                    cJSON_IsNumber(v) && v->valuedouble == (double)vout) {
                        found = i;
                        break;
                }
        }
        const cJSON *label =
            found < 0
                ? NULL
                : cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(details, found), "label");
        int64_t sats = 0;
        if (!cJSON_IsNumber(conf)) {
                inv->down = 1;
                verify_note(inv, "bitcoind: gettransaction %s has no confirmations", txid);
        } else if (found < 0) {
                verify_note(inv, "bitcoind wallet %s received no output %s", b->wallet, reference);
        } else if (!cJSON_IsString(label) || strcmp(label->valuestring, inv->id) != 0) {
                verify_note(inv,
                            "on-chain payment %s went to an address of wallet %s that is not "
                            "invoice %s's",
                            reference, b->wallet, inv->id);
        } else if (verify_detail_amount(&r.http, found, &sats) != 0 || sats <= 0) {
                inv->down = 1;
                verify_note(inv, "bitcoind: gettransaction %s: the amount is unreadable", txid);
        } else if (conf->valuedouble < s->confirmations_required || conf->valuedouble < 0) {
                verify_note(inv,
                            "on-chain payment %s has %.0f confirmations, the executor requires "
                            "%d",
                            reference, conf->valuedouble, s->confirmations_required);
        } else {
                if (sats < row_sats)
                        verify_note(
                            inv, "bitcoind received %" PRId64 " sat in %s, the row says %" PRId64,
                            sats, reference, row_sats);
                inv->proven_sats += sats < row_sats ? sats : row_sats;
        }
        btcrpc_reply_free(&r);
}

/* One backend payment, however the row spells it: a lowercase payment hash,
 * or lowercase txid ":" vout in decimal. "" when the reference is not of
 * its method's form (the lookup then reports it). */
static void
verify_payment_key(const char *method, const char *reference, char key[96])
{
        char hash[65], head[65] = "";
        key[0] = '\0';
        if (strcmp(method, "lightning") == 0) {
                if (hex_copy64(hash, reference) == 0)
                        snprintf(key, 96, "ln:%s", hash);
                return;
        }
        const char *colon = strchr(reference, ':');
        if (colon == NULL || colon - reference != 64)
                return;
        memcpy(head, reference, 64);
        head[64] = '\0';
        char *end = NULL;
        long vout = strtol(colon + 1, &end, 10);
        if (hex_copy64(hash, head) == 0 && end != colon + 1 && *end == '\0' && vout >= 0)
                snprintf(key, 96, "oc:%s:%ld", hash, vout);
}

static int
verify_invoice_run(struct record_session *rs, const struct config_store *s,
                   struct verify_invoice *inv)
{
        const char *pq[] = {s->id, inv->id};
        PGresult *r;
        if (record_exec(rs, Q_VERIFY_PAYMENTS, 2, pq, &r) != 0)
                return -1;
        /* Rows are unique by their text, not by the payment they name: an
         * uppercase copy of a hash must not count it twice. */
        char(*seen)[96] = calloc((size_t)PQntuples(r) + 1, sizeof(*seen));
        if (seen == NULL) {
                PQclear(r);
                return -1;
        }
        for (int i = 0; i < PQntuples(r); i++) {
                const char *method = PQgetvalue(r, i, 0);
                const char *reference = PQgetvalue(r, i, 1);
                int64_t sats = strtoll(PQgetvalue(r, i, 2), NULL, 10);
                verify_payment_key(method, reference, seen[i]);
                int twice = 0;
                for (int j = 0; j < i && seen[i][0] != '\0'; j++)
                        twice |= strcmp(seen[i], seen[j]) == 0;
                if (twice)
                        verify_note(inv, "payment %.80s is recorded twice: counted once",
                                    reference);
                else if (strcmp(method, "lightning") == 0)
                        verify_lightning(s, inv, reference, sats);
                else if (strcmp(method, "onchain") == 0)
                        verify_onchain(s, inv, reference, sats);
                else
                        inv->manual_sats += sats;
        }
        if (PQntuples(r) == 0)
                verify_note(inv, "invoice %s has no payment", inv->id);
        free(seen);
        PQclear(r);
        return 0;
}

int
verify_prefetch(struct record_session *rs, struct verify_cache *c, const struct config_store *s,
                const PGresult *rows)
{
        for (int i = 0; i < PQntuples(rows); i++) {
                const char *id = PQgetvalue(rows, i, CAND_INVOICE_ID);
                if (verify_cache_find(c, s->id, id) != NULL)
                        continue;
                if (c->n == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 16;
                        struct verify_invoice *grown = realloc(c->items, cap * sizeof(*grown));
                        if (grown == NULL)
                                return -1;
                        c->items = grown;
                        c->cap = cap;
                }
                struct verify_invoice *inv = &c->items[c->n];
                memset(inv, 0, sizeof(*inv));
                snprintf(inv->store, sizeof(inv->store), "%s", s->id);
                snprintf(inv->id, sizeof(inv->id), "%s", id);
                if (verify_invoice_run(rs, s, inv) != 0)
                        return -1;
                c->n++;
        }
        return 0;
}

/* The verified invoices of rows as a PostgreSQL text array literal, each
 * element quoted. NULL when none (or no memory). */
static char *
verify_invoice_array(struct verify_cache *c, const char *store, const PGresult *rows)
{
        size_t cap = 3;
        for (int i = 0; i < PQntuples(rows); i++)
                cap += 2 * strlen(PQgetvalue(rows, i, CAND_INVOICE_ID)) + 3;
        char *out = malloc(cap);
        if (out == NULL)
                return NULL;
        size_t n = 0;
        out[n++] = '{';
        for (int i = 0; i < PQntuples(rows); i++) {
                const char *id = PQgetvalue(rows, i, CAND_INVOICE_ID);
                if (verify_cache_find(c, store, id) == NULL)
                        continue;
                if (n > 1)
                        out[n++] = ',';
                out[n++] = '"';
                for (const char *q = id; *q; q++) {
                        if (*q == '"' || *q == '\\')
                                out[n++] = '\\';
                        out[n++] = *q;
                }
                out[n++] = '"';
        }
        out[n++] = '}';
        out[n] = '\0';
        if (n == 2) {
                free(out);
                return NULL;
        }
        return out;
}

int
verify_claim_begin(struct record_session *rs, struct verify_cache *c, const struct config_store *s,
                   const PGresult *rows)
{
        for (size_t i = 0; i < c->n; i++)
                c->items[i].locked = false;
        char *ids = verify_invoice_array(c, s->id, rows);
        if (ids == NULL)
                return 0; /* nothing verified in this batch: nothing to pay */
        /* Two executors with refunds of one invoice sum and claim one after
         * the other, so they cannot both spend the same proof. */
        const char *pq[] = {s->id, ids};
        PGresult *r;
        int rc = -1;
        if (record_exec(rs, Q_VERIFY_LOCK, 2, pq, NULL) != 0 ||
            record_exec(rs, Q_VERIFY_COMMITTED, 2, pq, &r) != 0)
                goto out;
        for (size_t i = 0; i < c->n; i++) {
                struct verify_invoice *inv = &c->items[i];
                if (strcmp(inv->store, s->id) != 0)
                        continue;
                for (int j = 0; j < PQntuples(rows); j++) {
                        if (strcmp(PQgetvalue(rows, j, CAND_INVOICE_ID), inv->id) == 0) {
                                inv->locked = true;
                                inv->committed_sats = 0;
                                break;
                        }
                }
        }
        for (int i = 0; i < PQntuples(r); i++) {
                struct verify_invoice *inv = verify_cache_find(c, s->id, PQgetvalue(r, i, 0));
                if (inv != NULL)
                        inv->committed_sats = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        }
        PQclear(r);
        rc = 0;
out:
        free(ids);
        return rc;
}

void
verify_claimed(struct verify_cache *c, const struct config_store *s, const char *invoice,
               int64_t amount_sats)
{
        struct verify_invoice *inv = verify_cache_find(c, s->id, invoice);
        if (inv != NULL)
                inv->committed_sats += amount_sats;
}

void
verify_refund(struct verify_cache *c, const struct config_store *s, const char *invoice,
              int64_t amount_sats, enum verify_verdict *out, char *why, size_t whysz)
{
        const struct verify_invoice *inv = verify_cache_find(c, s->id, invoice);
        if (inv == NULL || !inv->locked) {
                *out = VERIFY_NOT_CHECKED;
                snprintf(why, whysz, "invoice %s not verified yet", invoice);
                return;
        }
        int64_t committed = inv->committed_sats;
        int64_t need = committed + amount_sats;
        if (need <= inv->proven_sats) {
                *out = VERIFY_PAY;
                snprintf(why, whysz, "payments verified: %" PRId64 " sat", inv->proven_sats);
        } else if (inv->down) {
                *out = VERIFY_BACKEND_DOWN;
                snprintf(why, whysz, "%s: deferred, verified again next pass", inv->why);
        } else if (inv->manual_sats > 0 && need <= inv->proven_sats + inv->manual_sats) {
                *out = VERIFY_NEEDS_APPROVAL;
                snprintf(why, whysz,
                         "invoice %s is covered only by a manual (mark-paid) payment of %" PRId64
                         " sat, which no backend can prove: it needs a signed approval, or settle "
                         "it by hand",
                         invoice, inv->manual_sats);
        } else {
                *out = VERIFY_UNPROVEN;
                snprintf(why, whysz,
                         "verified payments of invoice %s: %" PRId64 " sat; its refunds in "
                         "flight or paid (%" PRId64 ") + %" PRId64 " would pass them%s%s",
                         invoice, inv->proven_sats, committed, amount_sats, inv->why[0] ? ": " : "",
                         inv->why);
        }
}
