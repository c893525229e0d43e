#include "chainscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "btcrpc.h"
#include "hex.h"
#include "jsontext.h"

/* An integral JSON number within -10^9..10^9 (vout, confirmations). */
static int
chainscan_long(const cJSON *o, const char *key, long *out)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        /* The range first: converting a double outside long's range is
         * undefined (1e300 in an answer). */
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= -1e9 && v->valuedouble <= 1e9) ||
            v->valuedouble != (double)(long)v->valuedouble)
                return -1;
        *out = (long)v->valuedouble;
        return 0;
}

/* Appends the receive outputs of one array (arr: its raw text, tree: parsed). */
static int
chainscan_array(const char *arr, size_t alen, const cJSON *tree, struct chainscan *out, char *err,
                size_t errsz, const char *what)
{
        int n = cJSON_GetArraySize(tree);
        for (int i = 0; i < n; i++) {
                const cJSON *e = cJSON_GetArrayItem(tree, i);
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(e, "category");
                if (!cJSON_IsString(cat) || strcmp(cat->valuestring, "receive") != 0)
                        continue;
                struct chainscan_entry en = {0};
                const cJSON *txid = cJSON_GetObjectItemCaseSensitive(e, "txid");
                const cJSON *addr = cJSON_GetObjectItemCaseSensitive(e, "address");
                size_t eoff, elen, aoff, vlen;
                if (!cJSON_IsString(txid) || !hex_is64(txid->valuestring) ||
                    !cJSON_IsString(addr) || strlen(addr->valuestring) >= sizeof(en.address) ||
                    chainscan_long(e, "vout", &en.vout) != 0 || en.vout < 0 ||
                    chainscan_long(e, "confirmations", &en.confirmations) != 0 ||
                    jsontext_raw_element(arr, alen, i, &eoff, &elen) != 0 ||
                    jsontext_raw_member(arr + eoff, elen, "amount", &aoff, &vlen) != 0 ||
                    amount_parse_btc(arr + eoff + aoff, vlen, &en.amount_sats) != 0 ||
                    en.amount_sats <= 0) {
                        snprintf(err, errsz, "listsinceblock: %s item %d is not a readable receive",
                                 what, i);
                        return -1;
                }
                hex_copy64(en.txid, txid->valuestring);
                snprintf(en.address, sizeof(en.address), "%s", addr->valuestring);
                /* Core v27+ lists the mempool transactions that replaced this one. */
                en.replaced =
                    en.confirmations == 0 &&
                    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "mempoolconflicts")) > 0;
                struct chainscan_entry *grown =
                    realloc(out->items, (out->n + 1) * sizeof(*out->items));
                if (grown == NULL) {
                        snprintf(err, errsz, "listsinceblock: out of memory");
                        return -1;
                }
                out->items = grown;
                out->items[out->n++] = en;
        }
        return 0;
}

int
chainscan_parse(const char *text, size_t len, struct chainscan *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof(*out));
        /* Read both as a tree and as text: they must say the same. */
        cJSON *root = btcrpc_parse_exact(text, len);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(res, "lastblock");
        const cJSON *txs = cJSON_GetObjectItemCaseSensitive(res, "transactions");
        const cJSON *removed = cJSON_GetObjectItemCaseSensitive(res, "removed");
        size_t roff, rlen;
        int rc = -1;
        if (!cJSON_IsObject(res) || !cJSON_IsString(last) || !hex_is64(last->valuestring) ||
            !cJSON_IsArray(txs) || (removed != NULL && !cJSON_IsArray(removed)) ||
            jsontext_raw_member(text, len, "result", &roff, &rlen) != 0) {
                snprintf(err, errsz, "listsinceblock: no result with transactions and lastblock");
                goto out;
        }
        /* Lowered like every hash we keep: it is stored as the next scan's
         * cursor and compared as text. */
        hex_copy64(out->lastblock, last->valuestring);
        /* removed first: a reorged transaction also listed in transactions
         * (mined again, or back in the mempool) ends in its current state. */
        const char *names[] = {"removed", "transactions"};
        const cJSON *trees[] = {removed, txs};
        for (int k = 0; k < 2; k++) {
                size_t off, alen;
                if (trees[k] == NULL)
                        continue;
                if (jsontext_raw_member(text + roff, rlen, names[k], &off, &alen) != 0) {
                        snprintf(err, errsz, "listsinceblock: %s unreadable", names[k]);
                        goto out;
                }
                if (chainscan_array(text + roff + off, alen, trees[k], out, err, errsz, names[k]) !=
                    0)
                        goto out;
        }
        rc = 0;
out:
        cJSON_Delete(root);
        if (rc != 0)
                chainscan_free(out);
        return rc;
}

void
chainscan_free(struct chainscan *s)
{
        free(s->items);
        s->items = NULL;
        s->n = 0;
}

const char *
chainscan_state(const struct chainscan_entry *e, int confirmations_required)
{
        if (e->confirmations < 0 || e->replaced)
                return "removed";
        if (e->confirmations >= confirmations_required)
                return "credited";
        return "seen";
}
