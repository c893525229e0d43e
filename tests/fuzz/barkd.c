/* barkd's answers to the executor (executor/barkd.c). Input:
 * "<mode><status><body>" (fuzz.h); mode p: POST /api/v1/lightning/pay, s: GET
 * /api/v1/lightning/sends/{hash}, h: GET /api/v1/history; upper case with the
 * expected payment hash. */
#include "barkd.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_answer a;
        struct payout_result r;
        enum outcome o;
        if (fuzz_answer_init(&a, data, size) != 0)
                return 0;
        if (a.mode == 's') {
                o = barkd_classify_send(&a.resp, a.expected, &r);
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED || r.proof[0] != '\0');
        } else if (a.mode == 'h') {
                o = barkd_classify_history(&a.resp, a.expected, &r);
        } else {
                o = barkd_classify_pay(&a.resp, &r);
                /* A payment barkd accepted is only started: never a success. */
                FUZZ_ASSERT(o != OUTCOME_SUCCEEDED);
        }
        fuzz_payout_check(&r, o, a.expected);
        httpc_response_free(&a.resp);
        return 0;
}
