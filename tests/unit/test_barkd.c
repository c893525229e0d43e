/* barkd answers (bark-rest 0.6.0 and master, docs BACKENDS.md) and what each
 * proves about a payout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barkd.h"

#define PRE1  "0101010101010101010101010101010101010101010101010101010101010101"
#define PRE2  "0202020202020202020202020202020202020202020202020202020202020202"
#define HASH1 "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"
#define HASH2 "75877bb41d393b5fb8455ce60ecd8dda001d06316496b14dfa7f895656eeca4a"

/* One history movement of subsystem name, status, payment hash, preimage (or
 * null) and offchain fee. */
#define MOVEMENT(sub, status, hash, preimage, fee)                                                 \
        "{\"id\":7,\"status\":\"" status "\",\"subsystem\":{\"name\":\"" sub                       \
        "\",\"kind\":\"send\"},\"metadata\":{\"payment_hash\":\"" hash                             \
        "\",\"payment_preimage\":" preimage "},\"intended_balance_sat\":-1000,"                    \
        "\"effective_balance_sat\":-1003,\"offchain_fee_sat\":" fee                                \
        ",\"sent_to\":[{\"destination\":{\"type\":\"invoice\",\"value\":\"lnbc1\"},"               \
        "\"amount_sat\":1000}],\"time\":{\"created_at\":\"2026-01-01T00:00:00Z\","                 \
        "\"updated_at\":\"2026-01-01T00:00:01Z\",\"completed_at\":null}}"

struct row {
        const char *name;
        enum httpc_error err;
        int sent;
        long status;
        const char *body;
        const char *expected_hash;
        enum outcome want;
        int in_progress;
        int64_t fee;
        const char *proof;
        const char *reason;
};

static const struct row pay_rows[] = {
    {"not reached", HTTPC_ERR_CONNECT, 0, 0, NULL, NULL, OUTCOME_DEFERRED, 0, -1, "", NULL},
    {"timeout after sending", HTTPC_ERR_TIMEOUT, 1, 0, NULL, NULL, OUTCOME_UNKNOWN, 0, -1, "",
     "after sending"},
    {"initiated with hash", HTTPC_OK, 1, 200,
     "{\"message\":\"Payment initiated successfully\",\"payment_hash\":\"" HASH1 "\"}", NULL,
     OUTCOME_UNKNOWN, 1, -1, "", "started"},
    {"initiated, 0.6.0 without hash", HTTPC_OK, 1, 200,
     "{\"message\":\"Payment initiated successfully\"}", NULL, OUTCOME_UNKNOWN, 1, -1, "",
     "no payment hash"},
    {"401", HTTPC_OK, 1, 401, "{\"message\":\"invalid auth token\"}", NULL, OUTCOME_DEFERRED, 0, -1,
     "", "bad credential"},
    {"400 comment refused", HTTPC_OK, 1, 400, "{\"message\":\"invalid payment method\"}", NULL,
     OUTCOME_DEFERRED, 0, -1, "", "operator"},
    {"422 no wallet", HTTPC_OK, 1, 422, "{\"message\":\"No wallet set\"}", NULL, OUTCOME_DEFERRED,
     0, -1, "", "No wallet set"},
    {"404 path", HTTPC_OK, 1, 404, "\"path not found: /api/v1/lightning/pay\"", NULL,
     OUTCOME_DEFERRED, 0, -1, "", "path not found"},
    {"500 insufficient", HTTPC_OK, 1, 500,
     "{\"message\":\"Insufficient money available. Needed 1003 sat but 10 sat is "
     "available\"}",
     NULL, OUTCOME_DEFERRED, 0, -1, "", "Insufficient money"},
    {"500 expired", HTTPC_OK, 1, 500, "{\"message\":\"Invoice has expired\"}", NULL, OUTCOME_FAILED,
     0, -1, "", "expired"},
    {"500 wrong network", HTTPC_OK, 1, 500,
     "{\"message\":\"Invoice is for the wrong network: testnet, wallet is on bitcoin\"}", NULL,
     OUTCOME_FAILED, 0, -1, "", NULL},
    {"500 lightning address", HTTPC_OK, 1, 500,
     "{\"message\":\"Failed to fetch invoice for lightning address a@b.invalid\"}", NULL,
     OUTCOME_FAILED, 0, -1, "", NULL},
    {"500 amount mismatch", HTTPC_OK, 1, 500,
     "{\"message\":\"Invoice has amount of 1000 sat encoded. Please provide the same "
     "amount\"}",
     NULL, OUTCOME_FAILED, 0, -1, "", NULL},
    {"500 amount required", HTTPC_OK, 1, 500,
     "{\"message\":\"An amount is required to pay an invoice without amount\"}", NULL,
     OUTCOME_DEFERRED, 0, -1, "", "operator"},
    {"500 already paid (maybe by us)", HTTPC_OK, 1, 500,
     "{\"message\":\"Invoice has already been paid (payment hash " HASH1 ")\"}", NULL,
     OUTCOME_UNKNOWN, 0, -1, "", NULL},
    {"500 already in progress", HTTPC_OK, 1, 500,
     "{\"message\":\"A payment for this invoice is already in progress\"}", NULL, OUTCOME_UNKNOWN,
     0, -1, "", NULL},
    {"500 other", HTTPC_OK, 1, 500, "{\"message\":\"fake barkd: injected internal error\"}", NULL,
     OUTCOME_UNKNOWN, 0, -1, "", "HTTP 500"},
    {"500 not JSON", HTTPC_OK, 1, 500, "Internal Server Error", NULL, OUTCOME_UNKNOWN, 0, -1, "",
     NULL},
    {"503", HTTPC_OK, 1, 503, "", NULL, OUTCOME_UNKNOWN, 0, -1, "", NULL},
};

static const struct row send_rows[] = {
    {"paid", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1 "\",\"state\":\"paid\",\"invoice\":\"lnbc1\",\"preimage\":\"" PRE1
     "\"}",
     HASH1, OUTCOME_SUCCEEDED, 0, -1, PRE1, "paid"},
    {"paid, wrong preimage", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1 "\",\"state\":\"paid\",\"invoice\":\"lnbc1\",\"preimage\":\"" PRE2
     "\"}",
     HASH1, OUTCOME_UNKNOWN, 0, -1, "", "preimage"},
    {"paid, 0.6.0 without preimage", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1 "\",\"state\":\"paid\",\"invoice\":\"lnbc1\",\"preimage\":null}",
     HASH1, OUTCOME_UNKNOWN, 0, -1, "", "history"},
    {"other hash", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH2 "\",\"state\":\"paid\",\"invoice\":\"lnbc1\",\"preimage\":\"" PRE2
     "\"}",
     HASH1, OUTCOME_UNKNOWN, 0, -1, "", "another"},
    {"unknown proves nothing", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1
     "\",\"state\":\"unknown\",\"invoice\":\"lnbc1\",\"preimage\":null}",
     HASH1, OUTCOME_UNKNOWN, 1, -1, "", "unknown"},
    {"in flight", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1 "\",\"state\":\"htlc-received\",\"invoice\":\"lnbc1\","
     "\"preimage\":null}",
     HASH1, OUTCOME_UNKNOWN, 1, -1, "", NULL},
    {"revocation stuck", HTTPC_OK, 1, 200,
     "{\"payment_hash\":\"" HASH1 "\",\"state\":\"revocation-stuck\",\"invoice\":\"lnbc1\","
     "\"preimage\":null}",
     HASH1, OUTCOME_UNKNOWN, 1, -1, "", NULL},
    {"404", HTTPC_OK, 1, 404, "{\"resources\":[],\"message\":\"not found\"}", HASH1,
     OUTCOME_NOT_FOUND, 0, -1, "", NULL},
    {"transport", HTTPC_ERR_TIMEOUT, 1, 0, NULL, HASH1, OUTCOME_UNKNOWN, 0, -1, "", NULL},
    {"not JSON", HTTPC_OK, 1, 200, "paid", HASH1, OUTCOME_UNKNOWN, 0, -1, "", NULL},
};

static const struct row history_rows[] = {
    {"successful", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "successful", HASH1, "\"" PRE1 "\"", "3") "]", HASH1,
     OUTCOME_SUCCEEDED, 0, 3, PRE1, NULL},
    {"successful without preimage", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "successful", HASH1, "null", "3") "]", HASH1,
     OUTCOME_SUCCEEDED, 0, 3, "", "no preimage"},
    {"successful with a wrong preimage", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "successful", HASH1, "\"" PRE2 "\"", "3") "]", HASH1,
     OUTCOME_UNKNOWN, 0, -1, "", "does not match"},
    {"failed", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "failed", HASH1, "null", "0") "]", HASH1, OUTCOME_FAILED,
     0, -1, "", NULL},
    {"canceled", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "canceled", HASH1, "null", "0") "]", HASH1, OUTCOME_FAILED,
     0, -1, "", NULL},
    {"pending", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "pending", HASH1, "null", "0") "]", HASH1, OUTCOME_UNKNOWN,
     1, -1, "", NULL},
    {"failed then retried and pending", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "failed", HASH1, "null",
                  "0") "," MOVEMENT("bark.lightning_send", "pending", HASH1, "null", "0") "]",
     HASH1, OUTCOME_UNKNOWN, 1, -1, "", NULL},
    {"failed then successful", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_send", "failed", HASH1, "null", "0") "," MOVEMENT(
         "bark.lightning_send", "successful", HASH1, "\"" PRE1 "\"", "2") "]",
     HASH1, OUTCOME_SUCCEEDED, 0, 2, PRE1, NULL},
    {"other subsystem and other hash ignored", HTTPC_OK, 1, 200,
     "[" MOVEMENT("bark.lightning_receive", "failed", HASH1, "null",
                  "0") "," MOVEMENT("bark.lightning_send", "failed", HASH2, "null", "0") "]",
     HASH1, OUTCOME_NOT_FOUND, 0, -1, "", NULL},
    {"empty", HTTPC_OK, 1, 200, "[]", HASH1, OUTCOME_NOT_FOUND, 0, -1, "", NULL},
    {"not an array", HTTPC_OK, 1, 200, "{\"message\":\"x\"}", HASH1, OUTCOME_UNKNOWN, 0, -1, "",
     NULL},
    {"500", HTTPC_OK, 1, 500, "{\"message\":\"x\"}", HASH1, OUTCOME_UNKNOWN, 0, -1, "", NULL},
};

static struct httpc_response
response(const struct row *r)
{
        struct httpc_response resp = {.status = r->status, .sent = r->sent, .err = r->err};
        if (r->body != NULL) {
                resp.body = strdup(r->body);
                resp.len = strlen(r->body);
        }
        snprintf(resp.errmsg, sizeof(resp.errmsg), "transport error");
        return resp;
}

enum which { PAY, SEND, HISTORY };

static void
run(const struct row *rows, size_t n, enum which w)
{
        for (size_t i = 0; i < n; i++) {
                const struct row *r = &rows[i];
                struct httpc_response resp = response(r);
                struct payout_result out;
                enum outcome got = w == PAY ? barkd_classify_pay(&resp, &out)
                                   : w == SEND
                                       ? barkd_classify_send(&resp, r->expected_hash, &out)
                                       : barkd_classify_history(&resp, r->expected_hash, &out);
                httpc_response_free(&resp);
                if (got != r->want || out.outcome != r->want || out.in_progress != r->in_progress ||
                    out.fee_sats != r->fee || strcmp(out.proof, r->proof) != 0 ||
                    (r->reason != NULL && strstr(out.reason, r->reason) == NULL))
                        fail_msg("%s: got %s in_progress %d fee %lld proof '%s' reason '%s'; "
                                 "want %s",
                                 r->name, outcome_name(out.outcome), out.in_progress,
                                 (long long)out.fee_sats, out.proof, out.reason,
                                 outcome_name(r->want));
        }
}

static void
test_pay(void **state)
{
        (void)state;
        run(pay_rows, sizeof(pay_rows) / sizeof(pay_rows[0]), PAY);
        struct httpc_response resp = response(&pay_rows[2]);
        struct payout_result out;
        barkd_classify_pay(&resp, &out);
        assert_string_equal(out.payment_hash, HASH1);
        httpc_response_free(&resp);
}

static void
test_send(void **state)
{
        (void)state;
        run(send_rows, sizeof(send_rows) / sizeof(send_rows[0]), SEND);
}

static void
test_history(void **state)
{
        (void)state;
        run(history_rows, sizeof(history_rows) / sizeof(history_rows[0]), HISTORY);
}

static void
test_body(void **state)
{
        (void)state;
        char *b = barkd_pay_body("lnbc10u1pxyz", DEST_BOLT11, -1, "never sent");
        assert_string_equal(b, "{\"destination\":\"lnbc10u1pxyz\"}");
        free(b);
        b = barkd_pay_body("lno1qgsq", DEST_BOLT12_OFFER, 1500, "never sent");
        assert_string_equal(b, "{\"destination\":\"lno1qgsq\",\"amount_sat\":1500}");
        free(b);
        /* Integer text even where a double would print 2.1e+15. */
        b = barkd_pay_body("a@b.com", DEST_LIGHTNING_ADDRESS, 2100000000000000LL, "refund \"r1\"");
        assert_string_equal(b, "{\"destination\":\"a@b.com\",\"amount_sat\":2100000000000000,"
                               "\"comment\":\"refund \\\"r1\\\"\"}");
        free(b);
        b = barkd_pay_body("lnurl1dp68", DEST_LNURL, 1, NULL);
        assert_string_equal(b, "{\"destination\":\"lnurl1dp68\",\"amount_sat\":1}");
        free(b);
        assert_null(barkd_pay_body("a@b.com", DEST_LIGHTNING_ADDRESS, -1, NULL));
        assert_null(barkd_pay_body("lnbc1", DEST_BOLT11, 0, NULL));
        assert_null(barkd_pay_body("bc1q", DEST_BITCOIN_ADDRESS, 10, NULL));
        assert_null(barkd_pay_body("lnbc1", DEST_BOLT11, 2100000000000001LL, NULL));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pay),
            cmocka_unit_test(test_send),
            cmocka_unit_test(test_history),
            cmocka_unit_test(test_body),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
