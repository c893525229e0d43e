/* bitcoind's JSON-RPC answers: the executor's payouts and lookups
 * (executor/bitcoind.c) and btcrpc_call's reading of every answer
 * (common/btcrpc.c). Input: "<mode><status><body>" (fuzz.h); mode s:
 * sendtoaddress, g: gettransaction, c: listtransactions searched for the
 * comment "rf_fuzz", r: any call through btcrpc_read_reply. */
#include <cjson/cJSON.h>

#include "bitcoind.h"
#include "btcrpc.h"
#include "fuzz.h"

static void
fuzz_reply(struct fuzz_answer *a)
{
        struct btcrpc_reply rep;
        memset(&rep, 0, sizeof(rep));
        rep.http = a->resp;
        int rc = btcrpc_read_reply("getnewaddress", &rep);
        FUZZ_ASSERT(rc == 0 || rc == -1);
        FUZZ_ASSERT(memchr(rep.error, '\0', sizeof(rep.error)) != NULL);
        FUZZ_ASSERT(rc == 0 ? rep.result != NULL && rep.error[0] == '\0' : rep.error[0] != '\0');
        btcrpc_reply_free(&rep); /* frees the body too */
        a->resp.body = NULL;
}

/* The lookups read confirmations from the raw text and txid from the tree:
 * a success must be an entry of the tree with that txid, that comment (when
 * searched by comment) and those confirmations. */
static void
fuzz_same_as_tree(const struct fuzz_answer *a, const struct payout_result *r, int by_comment)
{
        cJSON *root = cJSON_ParseWithLength(a->resp.body, a->resp.len);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
        const cJSON *e;
        int found = 0;
        if (by_comment) {
                cJSON_ArrayForEach(e, res)
                {
                        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "txid");
                        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "comment");
                        const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "confirmations");
                        found |= cJSON_IsString(t) && strcasecmp(t->valuestring, r->tx_id) == 0 &&
                                 cJSON_IsString(c) && strcmp(c->valuestring, "rf_fuzz") == 0 &&
                                 cJSON_IsNumber(n) && n->valuedouble == (double)r->confirmations;
                }
        } else {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "txid");
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(res, "confirmations");
                found = cJSON_IsString(t) && strcasecmp(t->valuestring, r->tx_id) == 0 &&
                        cJSON_IsNumber(n) && n->valuedouble == (double)r->confirmations;
        }
        FUZZ_ASSERT(found);
        cJSON_Delete(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_answer a;
        struct payout_result r;
        enum outcome o;
        if (fuzz_answer_init(&a, data, size) != 0)
                return 0;
        switch (a.mode) {
        case 'g':
                o = bitcoind_parse_gettransaction(&a.resp, &r);
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || (r.tx_id[0] && r.confirmations >= 0));
                if (o == OUTCOME_SUCCEEDED)
                        fuzz_same_as_tree(&a, &r, 0);
                {
                        /* The chain watch's reading of the same answer. */
                        struct payout_tx_view v;
                        bitcoind_classify_tx_view(&a.resp, &v);
                        FUZZ_ASSERT(v.state != PAYOUT_TX_SEEN ||
                                    (o == OUTCOME_SUCCEEDED && v.confirmations >= 0));
                        FUZZ_ASSERT(v.fee_sats >= -1 && v.fee_sats == r.fee_sats);
                }
                break;
        case 'c':
                o = bitcoind_find_send_by_comment(a.resp.body, a.resp.len, "rf_fuzz", &r);
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || (r.tx_id[0] && r.confirmations >= 0));
                if (o == OUTCOME_SUCCEEDED)
                        fuzz_same_as_tree(&a, &r, 1);
                break;
        case 'r':
                fuzz_reply(&a);
                return 0;
        default:
                o = bitcoind_classify_send(&a.resp, &r);
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || r.tx_id[0]);
                break;
        }
        fuzz_payout_check(&r, o, NULL);
        FUZZ_ASSERT(r.proof[0] == '\0');
        httpc_response_free(&a.resp);
        return 0;
}
