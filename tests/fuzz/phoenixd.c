/* phoenixd's answers to the executor's payouts (executor/phoenixd.c): the
 * pay calls and the payment lookups. Input: "<mode><status><body>" (fuzz.h);
 * mode p: POST /payinvoice, /payoffer, /paylnaddress; l: GET
 * /payments/outgoing...; upper case with the expected payment hash. */
#include "fuzz.h"
#include "phoenixd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_answer a;
        struct payout_result r;
        enum outcome o;
        if (fuzz_answer_init(&a, data, size) != 0)
                return 0;
        if (a.mode == 'l') {
                o = phoenixd_classify_lookup(&a.resp, a.expected, &r);
        } else {
                o = phoenixd_classify_pay(&a.resp, a.expected, &r);
                /* Only a verified preimage is a payment. */
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || r.proof[0] != '\0');
        }
        fuzz_payout_check(&r, o, a.expected);
        httpc_response_free(&a.resp);
        return 0;
}
