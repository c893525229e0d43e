/* bitcoind's listsinceblock answer as the on-chain watcher reads it
 * (api/chainscan.c): the whole input is the JSON-RPC answer text. Besides
 * the entry checks, each amount, which chainscan reads from the raw text,
 * must agree with the parsed tree's number for the same entry: text and
 * tree must describe the same output. */
#include <math.h>

#include <cjson/cJSON.h>

#include "chainscan.h"
#include "fuzz.h"

/* The tree's amount of the n-th receive entry of arr, as satoshis, or -1. */
static double
fuzz_tree_amount(const cJSON *arr, size_t n)
{
        const cJSON *e;
        size_t k = 0;
        cJSON_ArrayForEach(e, arr)
        {
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(e, "category");
                if (!cJSON_IsString(cat) || strcmp(cat->valuestring, "receive") != 0)
                        continue;
                if (k++ == n) {
                        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "amount");
                        return cJSON_IsNumber(a) ? a->valuedouble * 1e8 : -1;
                }
        }
        return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        char err[256] = "";
        struct chainscan s;
        if (chainscan_parse(text, size, &s, err, sizeof(err)) != 0) {
                FUZZ_ASSERT(s.items == NULL && s.n == 0 && err[0] != '\0');
                free(text);
                return 0;
        }
        FUZZ_ASSERT(s.lastblock[0] && fuzz_hex64_or_empty(s.lastblock));
        cJSON *root = cJSON_ParseWithLength(text, size);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
        const cJSON *removed = cJSON_GetObjectItemCaseSensitive(res, "removed");
        const cJSON *txs = cJSON_GetObjectItemCaseSensitive(res, "transactions");
        size_t nremoved = 0;
        for (const cJSON *e = removed ? removed->child : NULL; e; e = e->next) {
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(e, "category");
                nremoved += cJSON_IsString(cat) && strcmp(cat->valuestring, "receive") == 0;
        }
        for (size_t i = 0; i < s.n; i++) {
                const struct chainscan_entry *e = &s.items[i];
                FUZZ_ASSERT(e->txid[0] && fuzz_hex64_or_empty(e->txid));
                FUZZ_ASSERT(e->vout >= 0);
                FUZZ_ASSERT(e->amount_sats > 0 && e->amount_sats <= AMOUNT_MAX_SATS);
                FUZZ_ASSERT(memchr(e->address, '\0', sizeof(e->address)) != NULL);
                double tree = i < nremoved ? fuzz_tree_amount(removed, i)
                                           : fuzz_tree_amount(txs, i - nremoved);
                FUZZ_ASSERT(fabs(tree - (double)e->amount_sats) <= 1.0);
                (void)chainscan_state(e, 1);
        }
        cJSON_Delete(root);
        chainscan_free(&s);
        free(text);
        return 0;
}
