/* phoenixd's answers to the receive side (common/lnrecv.c), and the
 * payment_received webhook. Input: "<mode><status><body>" (fuzz.h); mode c:
 * createinvoice, i: GET /payments/incoming/FUZZ_HASH1, g: getinfo, w: the
 * webhook body (status unused), v: the webhook signature check, the first
 * 64 bytes of the body being X-Phoenix-Signature. */
#include "fuzz.h"
#include "lnrecv.h"

static void
fuzz_webhook(const struct fuzz_answer *a)
{
        char hash[65];
        memset(hash, 'x', sizeof(hash));
        if (lnrecv_webhook_hash(a->resp.body, a->resp.len, hash) == 0)
                FUZZ_ASSERT(hash[0] != '\0' && fuzz_hex64_or_empty(hash));
        if (a->mode == 'v' && a->resp.len >= 64) {
                char sig[65];
                memcpy(sig, a->resp.body, 64);
                sig[64] = '\0';
                (void)lnrecv_webhook_verify("fuzz-secret", a->resp.body + 64, a->resp.len - 64,
                                            sig);
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_answer a;
        char err[256];
        if (fuzz_answer_init(&a, data, size) != 0)
                return 0;
        switch (a.mode) {
        case 'c': {
                struct lnrecv_invoice inv;
                if (lnrecv_parse_created(&a.resp, &inv, err, sizeof(err)) == 0) {
                        FUZZ_ASSERT(inv.bolt11 != NULL && strncasecmp(inv.bolt11, "ln", 2) == 0);
                        FUZZ_ASSERT(inv.payment_hash[0] && fuzz_hex64_or_empty(inv.payment_hash));
                } else {
                        FUZZ_ASSERT(inv.bolt11 == NULL && err[0] != '\0');
                }
                lnrecv_invoice_free(&inv);
                break;
        }
        case 'i': {
                struct lnrecv_incoming in;
                int rc = lnrecv_parse_incoming(&a.resp, FUZZ_HASH1, &in, err, sizeof(err));
                FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -1);
                if (rc == 0) {
                        /* What is credited: an amount, and never 0 for a paid one. */
                        FUZZ_ASSERT(in.received_sat >= 0 && in.received_sat <= AMOUNT_MAX_SATS);
                        FUZZ_ASSERT(!in.paid || in.received_sat > 0);
                        FUZZ_ASSERT(in.fees_msat >= 0);
                        FUZZ_ASSERT(memchr(in.external_id, '\0', sizeof(in.external_id)));
                }
                break;
        }
        case 'g': {
                char chain[32];
                if (lnrecv_parse_getinfo(&a.resp, chain, sizeof(chain), err, sizeof(err)) == 0)
                        FUZZ_ASSERT(memchr(chain, '\0', sizeof(chain)) != NULL);
                break;
        }
        default:
                fuzz_webhook(&a);
                break;
        }
        httpc_response_free(&a.resp);
        return 0;
}
