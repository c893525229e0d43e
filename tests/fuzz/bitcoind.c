/* bitcoind's JSON-RPC answers: the executor's payouts and lookups
 * (executor/bitcoind.c) and btcrpc_call's reading of every answer
 * (common/btcrpc.c). Input: "<mode><status><body>" (fuzz.h); mode s:
 * sendtoaddress, g: gettransaction, c: listtransactions searched for the
 * comment "rf_fuzz", r: any call through btcrpc_read_reply. */
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
                break;
        case 'c':
                o = bitcoind_find_send_by_comment(a.resp.body, a.resp.len, "rf_fuzz", &r);
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || (r.tx_id[0] && r.confirmations >= 0));
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
