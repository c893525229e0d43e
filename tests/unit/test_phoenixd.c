/* phoenixd answers, as phoenixd 0.8.0 writes them (docs BACKENDS.md), and
 * what each proves about a payout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoenixd.h"

#define PRE1  "0101010101010101010101010101010101010101010101010101010101010101"
#define PRE2  "0202020202020202020202020202020202020202020202020202020202020202"
#define HASH1 "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"
#define HASH2 "75877bb41d393b5fb8455ce60ecd8dda001d06316496b14dfa7f895656eeca4a"
#define UUID  "3b3a4a6e-5a2c-4a8e-9d7a-1f0b7c7e2a11"

struct row {
        const char *name;
        enum httpc_error err;
        int sent;
        long status;
        const char *body;
        const char *expected_hash;
        enum outcome want;
        int64_t fee;        /* expected fee_sats */
        const char *proof;  /* expected proof, "" for none */
        const char *reason; /* substring of the reason, or NULL */
};

static const struct row pay_rows[] = {
    {"refused before sending", HTTPC_ERR_CONNECT, 0, 0, NULL, HASH1, OUTCOME_DEFERRED, -1, "",
     "not reached"},
    {"timeout before connecting", HTTPC_ERR_TIMEOUT, 0, 0, NULL, HASH1, OUTCOME_DEFERRED, -1, "",
     NULL},
    {"timeout after sending", HTTPC_ERR_TIMEOUT, 1, 0, NULL, HASH1, OUTCOME_UNKNOWN, -1, "",
     "after sending"},
    {"empty reply", HTTPC_ERR_TRANSFER, 1, 0, NULL, HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"answer too large", HTTPC_ERR_TOO_LARGE, 1, 200, NULL, HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"PaymentSent", HTTPC_OK, 1, 200,
     "{\n  \"recipientAmountSat\" : 1000,\n  \"routingFeeSat\" : 4,\n  \"paymentId\" : \"" UUID
     "\",\n  \"paymentHash\" : \"" HASH1 "\",\n  \"paymentPreimage\" : \"" PRE1 "\"\n}",
     HASH1, OUTCOME_SUCCEEDED, 4, PRE1, "paid"},
    {"PaymentSent, offer: hash unknown before", HTTPC_OK, 1, 200,
     "{\"recipientAmountSat\":1000,\"routingFeeSat\":0,\"paymentId\":\"" UUID
     "\",\"paymentHash\":\"" HASH1 "\",\"paymentPreimage\":\"" PRE1 "\"}",
     NULL, OUTCOME_SUCCEEDED, 0, PRE1, NULL},
    {"PaymentSent without routingFeeSat", HTTPC_OK, 1, 200,
     "{\"recipientAmountSat\":1000,\"paymentHash\":\"" HASH1 "\",\"paymentPreimage\":\"" PRE1 "\"}",
     HASH1, OUTCOME_SUCCEEDED, -1, PRE1, "missing or invalid"},
    {"PaymentSent with a fractional fee", HTTPC_OK, 1, 200,
     "{\"routingFeeSat\":4.5,\"paymentHash\":\"" HASH1 "\",\"paymentPreimage\":\"" PRE1 "\"}",
     HASH1, OUTCOME_SUCCEEDED, -1, PRE1, "missing or invalid"},
    {"preimage of another hash", HTTPC_OK, 1, 200,
     "{\"routingFeeSat\":4,\"paymentHash\":\"" HASH1 "\",\"paymentPreimage\":\"" PRE2 "\"}", HASH1,
     OUTCOME_UNKNOWN, -1, "", "preimage does not hash"},
    {"answer for another hash than expected", HTTPC_OK, 1, 200,
     "{\"routingFeeSat\":4,\"paymentHash\":\"" HASH2 "\",\"paymentPreimage\":\"" PRE2 "\"}", HASH1,
     OUTCOME_UNKNOWN, -1, "", "another payment hash"},
    {"matching preimage but no hash anywhere", HTTPC_OK, 1, 200,
     "{\"routingFeeSat\":4,\"paymentPreimage\":\"" PRE1 "\"}", NULL, OUTCOME_UNKNOWN, -1, "", NULL},
    {"preimage not hex", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"paymentPreimage\":\"zz\"}", HASH1, OUTCOME_UNKNOWN, -1, "",
     NULL},
    {"PaymentFailed, no route", HTTPC_OK, 1, 200,
     "{\n  \"paymentHash\" : \"" HASH1 "\",\n  \"reason\" : \"the recipient was offline or did "
     "not have enough liquidity to receive the payment\"\n}",
     HASH1, OUTCOME_FAILED, -1, "", "recipient was offline"},
    {"PaymentFailed for an offer", HTTPC_OK, 1, 200,
     "{\"offerId\":\"ab12\",\"reason\":\"offer not paid\"}", NULL, OUTCOME_FAILED, -1, "",
     "offer not paid"},
    {"PaymentFailed, no funds", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"reason\":\"not enough funds in wallet to afford "
     "payment\"}",
     HASH1, OUTCOME_DEFERRED, -1, "", "not enough funds"},
    {"PaymentFailed, already paid (maybe by us)", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"reason\":\"this invoice has already been paid\"}", HASH1,
     OUTCOME_UNKNOWN, -1, "", "already"},
    {"PaymentFailed for another hash than expected", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH2 "\",\"reason\":\"no route\"}", HASH1, OUTCOME_UNKNOWN, -1, "",
     "another payment hash"},
    {"200 that is neither", HTTPC_OK, 1, 200, "{\"paymentHash\":\"" HASH1 "\"}", HASH1,
     OUTCOME_UNKNOWN, -1, "", "neither"},
    {"200 not JSON", HTTPC_OK, 1, 200, "ok", HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"200 empty", HTTPC_OK, 1, 200, "", HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"401 limited password", HTTPC_OK, 1, 401,
     "Invalid authentication (use basic auth with the http password set in phoenix.conf)", HASH1,
     OUTCOME_DEFERRED, -1, "", "bad credential"},
    {"400 bad invoice", HTTPC_OK, 1, 400,
     "Request parameter invoice couldn't be parsed/converted to bolt11invoice", HASH1,
     OUTCOME_FAILED, -1, "", "bolt11invoice"},
    {"400 bad offer", HTTPC_OK, 1, 400,
     "Request parameter offer couldn't be parsed/converted to offer", NULL, OUTCOME_FAILED, -1, "",
     NULL},
    {"400 bad address", HTTPC_OK, 1, 400,
     "Request parameter address couldn't be parsed/converted to username@domain", NULL,
     OUTCOME_FAILED, -1, "", NULL},
    {"400 missing parameter", HTTPC_OK, 1, 400, "Request parameter amountSat is missing", NULL,
     OUTCOME_DEFERRED, -1, "", "operator"},
    {"400 bad integer", HTTPC_OK, 1, 400,
     "Request parameter amountSat couldn't be parsed/converted to integer", NULL, OUTCOME_DEFERRED,
     -1, "", "operator"},
    {"404 unknown endpoint", HTTPC_OK, 1, 404, "Unknown endpoint (check api doc)", HASH1,
     OUTCOME_DEFERRED, -1, "", "wrong endpoint"},
    {"405", HTTPC_OK, 1, 405, "Invalid http method (use the correct GET/POST)", HASH1,
     OUTCOME_DEFERRED, -1, "", NULL},
    {"500 cannot resolve address", HTTPC_OK, 1, 500, "cannot resolve address: no such domain", NULL,
     OUTCOME_FAILED, -1, "", "cannot resolve address"},
    {"500 other", HTTPC_OK, 1, 500, "java.lang.IllegalStateException: boom", HASH1, OUTCOME_UNKNOWN,
     -1, "", "HTTP 500"},
    {"502 from a proxy", HTTPC_OK, 1, 502, "Bad Gateway", HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"403 undocumented", HTTPC_OK, 1, 403, "", HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
};

static const struct row lookup_rows[] = {
    {"paid", HTTPC_OK, 1, 200,
     "{\"type\":\"outgoing_payment\",\"subType\":\"lightning\",\"paymentId\":\"" UUID
     "\",\"paymentHash\":\"" HASH1 "\",\"preimage\":\"" PRE1
     "\",\"isPaid\":true,\"sent\":1004,\"fees\":4000,\"invoice\":\"lnbc1\","
     "\"completedAt\":1712150400000,\"createdAt\":1712150300000}",
     HASH1, OUTCOME_SUCCEEDED, 4, PRE1, "paid"},
    {"paid, fee not whole sats: rounded up", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"preimage\":\"" PRE1
     "\",\"isPaid\":true,\"fees\":4001,\"completedAt\":1}",
     HASH1, OUTCOME_SUCCEEDED, 5, PRE1, NULL},
    {"paid, fee under one sat", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"preimage\":\"" PRE1
     "\",\"isPaid\":true,\"fees\":1,\"completedAt\":1}",
     HASH1, OUTCOME_SUCCEEDED, 1, PRE1, NULL},
    {"paid with a wrong preimage", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"preimage\":\"" PRE2
     "\",\"isPaid\":true,\"fees\":0,\"completedAt\":1}",
     HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"paid without preimage", HTTPC_OK, 1, 200,
     "{\"paymentHash\":\"" HASH1 "\",\"isPaid\":true,\"completedAt\":1}", HASH1, OUTCOME_UNKNOWN,
     -1, "", NULL},
    {"failed (completed, not paid)", HTTPC_OK, 1, 200,
     "{\"paymentId\":\"" UUID "\",\"paymentHash\":\"" HASH1
     "\",\"isPaid\":false,\"sent\":0,\"fees\":0,\"completedAt\":1712150400000,\"createdAt\":"
     "1712150300000}",
     HASH1, OUTCOME_FAILED, -1, "", "failed"},
    {"pending (no completedAt)", HTTPC_OK, 1, 200,
     "{\"paymentId\":\"" UUID "\",\"paymentHash\":\"" HASH1
     "\",\"isPaid\":false,\"sent\":0,\"fees\":0,\"createdAt\":1712150300000}",
     HASH1, OUTCOME_UNKNOWN, -1, "", "pending"},
    {"answer without isPaid", HTTPC_OK, 1, 200, "{\"paymentHash\":\"" HASH1 "\"}", HASH1,
     OUTCOME_UNKNOWN, -1, "", NULL},
    {"404 Not found", HTTPC_OK, 1, 404, "Not found", HASH1, OUTCOME_NOT_FOUND, -1, "", NULL},
    {"404 unknown endpoint", HTTPC_OK, 1, 404, "Unknown endpoint (check api doc)", HASH1,
     OUTCOME_UNKNOWN, -1, "", NULL},
    {"lookup not reached", HTTPC_ERR_CONNECT, 0, 0, NULL, HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
    {"401", HTTPC_OK, 1, 401, "Invalid authentication", HASH1, OUTCOME_UNKNOWN, -1, "", NULL},
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

static void
check(const struct row *r, enum outcome got, const struct payout_result *out)
{
        if (got != r->want || out->outcome != r->want || out->fee_sats != r->fee ||
            strcmp(out->proof, r->proof) != 0 ||
            (r->reason != NULL && strstr(out->reason, r->reason) == NULL))
                fail_msg("%s: got %s fee %lld proof '%s' reason '%s'; want %s fee %lld", r->name,
                         outcome_name(out->outcome), (long long)out->fee_sats, out->proof,
                         out->reason, outcome_name(r->want), (long long)r->fee);
}

static void
test_pay_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(pay_rows) / sizeof(pay_rows[0]); i++) {
                struct httpc_response resp = response(&pay_rows[i]);
                struct payout_result out;
                check(&pay_rows[i], phoenixd_classify_pay(&resp, pay_rows[i].expected_hash, &out),
                      &out);
                httpc_response_free(&resp);
        }
}

static void
test_pay_ids(void **state)
{
        (void)state;
        const struct row *r = &pay_rows[5];
        struct httpc_response resp = response(r);
        struct payout_result out;
        phoenixd_classify_pay(&resp, HASH1, &out);
        assert_string_equal(out.payment_id, UUID);
        assert_string_equal(out.payment_hash, HASH1);
        httpc_response_free(&resp);
}

static void
test_lookup_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(lookup_rows) / sizeof(lookup_rows[0]); i++) {
                struct httpc_response resp = response(&lookup_rows[i]);
                struct payout_result out;
                check(&lookup_rows[i],
                      phoenixd_classify_lookup(&resp, lookup_rows[i].expected_hash, &out), &out);
                httpc_response_free(&resp);
        }
}

static void
test_pending_in_progress(void **state)
{
        (void)state;
        struct httpc_response resp = response(&lookup_rows[6]);
        struct payout_result out;
        phoenixd_classify_lookup(&resp, HASH1, &out);
        assert_int_equal(out.in_progress, 1);
        httpc_response_free(&resp);
}

static void
test_forms(void **state)
{
        (void)state;
        char *f = phoenixd_payinvoice_form("lnbc10u1pxyz", -1);
        assert_string_equal(f, "invoice=lnbc10u1pxyz");
        free(f);
        f = phoenixd_payinvoice_form("lnbc1pxyz", 1000);
        assert_string_equal(f, "invoice=lnbc1pxyz&amountSat=1000");
        free(f);
        f = phoenixd_payoffer_form("lno1qgsq", 2100000000000000LL, "refund r_1 & more");
        assert_string_equal(f, "offer=lno1qgsq&amountSat=2100000000000000&message=refund%20r_1%20%"
                               "26%20more");
        free(f);
        f = phoenixd_payoffer_form("lno1qgsq", -1, NULL);
        assert_string_equal(f, "offer=lno1qgsq");
        free(f);
        f = phoenixd_paylnaddress_form("alice@example.com", 500, "");
        assert_string_equal(f, "address=alice%40example.com&amountSat=500");
        free(f);
        /* paylnaddress needs an amount; beyond 21M BTC is refused */
        assert_null(phoenixd_paylnaddress_form("alice@example.com", -1, NULL));
        assert_null(phoenixd_payinvoice_form("lnbc1", 2100000000000001LL));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pay_table),    cmocka_unit_test(test_pay_ids),
            cmocka_unit_test(test_lookup_table), cmocka_unit_test(test_pending_in_progress),
            cmocka_unit_test(test_forms),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
