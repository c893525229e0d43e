/* bitcoind answers (Core v25-v28, legacy JSON-RPC: RPC errors are HTTP 500
 * with a JSON body) and what each proves about an on-chain payout; amounts
 * from the raw text, exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoind.h"

#define TXID1 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define TXID2 "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"

#define RPC_ERR(code, msg)                                                                         \
        "{\"result\":null,\"error\":{\"code\":" #code ",\"message\":\"" msg "\"},\"id\":\"r1\"}\n"

struct row {
        const char *name;
        enum httpc_error err;
        int sent;
        long status;
        const char *body;
        enum outcome want;
        const char *tx_id;
        int64_t fee;
        int64_t confirmations;
        const char *reason;
};

static const struct row send_rows[] = {
    {"txid", HTTPC_OK, 1, 200, "{\"result\":\"" TXID1 "\",\"error\":null,\"id\":\"r1\"}\n",
     OUTCOME_SUCCEEDED, TXID1, -1, 0, "sent"},
    {"verbose txid", HTTPC_OK, 1, 200,
     "{\"result\":{\"txid\":\"" TXID1 "\",\"fee_reason\":\"Fallback fee\"},\"error\":null,"
     "\"id\":\"r1\"}",
     OUTCOME_SUCCEEDED, TXID1, -1, 0, NULL},
    {"200 without txid", HTTPC_OK, 1, 200, "{\"result\":null,\"error\":null,\"id\":\"r1\"}",
     OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"200 short txid", HTTPC_OK, 1, 200, "{\"result\":\"a1b2\",\"error\":null,\"id\":\"r1\"}",
     OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"200 not JSON", HTTPC_OK, 1, 200, "<html>", OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"-6 insufficient funds", HTTPC_OK, 1, 500, RPC_ERR(-6, "Insufficient funds"), OUTCOME_DEFERRED,
     "", -1, 0, "Insufficient funds"},
    {"-6 fee estimation", HTTPC_OK, 1, 500,
     RPC_ERR(-6, "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable "
                 "-fallbackfee."),
     OUTCOME_DEFERRED, "", -1, 0, "Fee estimation failed"},
    {"-6 dust", HTTPC_OK, 1, 500, RPC_ERR(-6, "Transaction amount too small"), OUTCOME_DEFERRED, "",
     -1, 0, NULL},
    {"-6 in a JSON-RPC 2.0 style 200", HTTPC_OK, 1, 200, RPC_ERR(-6, "Insufficient funds"),
     OUTCOME_DEFERRED, "", -1, 0, NULL},
    {"-5 invalid address", HTTPC_OK, 1, 500, RPC_ERR(-5, "Invalid Bitcoin address: bc1qxyz"),
     OUTCOME_FAILED, "", -1, 0, "Invalid Bitcoin address"},
    {"-3 invalid amount", HTTPC_OK, 1, 500, RPC_ERR(-3, "Invalid amount"), OUTCOME_FAILED, "", -1,
     0, NULL},
    {"-13 locked", HTTPC_OK, 1, 500,
     RPC_ERR(-13, "Error: Please enter the wallet passphrase with walletpassphrase first."),
     OUTCOME_DEFERRED, "", -1, 0, "walletpassphrase"},
    {"-18 no wallet", HTTPC_OK, 1, 500,
     RPC_ERR(-18, "Requested wallet does not exist or is not loaded"), OUTCOME_DEFERRED, "", -1, 0,
     NULL},
    {"-19 wallet not specified", HTTPC_OK, 1, 500,
     RPC_ERR(-19, "Wallet file not specified (must request wallet RPC through "
                  "/wallet/<filename> uri-path)."),
     OUTCOME_DEFERRED, "", -1, 0, NULL},
    {"-28 warmup", HTTPC_OK, 1, 500, RPC_ERR(-28, "Loading block index..."), OUTCOME_DEFERRED, "",
     -1, 0, NULL},
    {"-32601 method not found", HTTPC_OK, 1, 404, RPC_ERR(-32601, "Method not found"),
     OUTCOME_DEFERRED, "", -1, 0, NULL},
    {"-4 wallet error", HTTPC_OK, 1, 500, RPC_ERR(-4, "Error: something in the wallet"),
     OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"-1 misc", HTTPC_OK, 1, 500, RPC_ERR(-1, "boom"), OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"-8 invalid parameter", HTTPC_OK, 1, 500, RPC_ERR(-8, "Invalid parameter"), OUTCOME_UNKNOWN,
     "", -1, 0, NULL},
    {"500 not JSON", HTTPC_OK, 1, 500, "Internal error", OUTCOME_UNKNOWN, "", -1, 0, NULL},
    /* Found by tests/fuzz/bitcoind: no code, not an undefined conversion. */
    {"code beyond long", HTTPC_OK, 1, 500, RPC_ERR(1e300, "x"), OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"500 error without code", HTTPC_OK, 1, 500,
     "{\"result\":null,\"error\":{\"message\":\"x\"},\"id\":\"r1\"}", OUTCOME_UNKNOWN, "", -1, 0,
     NULL},
    {"401", HTTPC_OK, 1, 401, "", OUTCOME_DEFERRED, "", -1, 0, "bad credential"},
    {"403", HTTPC_OK, 1, 403, "", OUTCOME_DEFERRED, "", -1, 0, "rpcwhitelist"},
    {"503 work queue", HTTPC_OK, 1, 503, "Work queue depth exceeded", OUTCOME_DEFERRED, "", -1, 0,
     "Work queue"},
    {"503 other", HTTPC_OK, 1, 503, "Service Unavailable", OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"not reached", HTTPC_ERR_CONNECT, 0, 0, NULL, OUTCOME_DEFERRED, "", -1, 0, "not reached"},
    {"timeout before connecting", HTTPC_ERR_TIMEOUT, 0, 0, NULL, OUTCOME_DEFERRED, "", -1, 0, NULL},
    {"timeout after sending", HTTPC_ERR_TIMEOUT, 1, 0, NULL, OUTCOME_UNKNOWN, "", -1, 0,
     "after sending"},
    {"connection reset", HTTPC_ERR_TRANSFER, 1, 0, NULL, OUTCOME_UNKNOWN, "", -1, 0, NULL},
};

/* gettransaction of a send, as Core writes it (fee in the details too). */
#define GETTX(fee, confs)                                                                          \
        "{\"result\":{\"amount\":-0.00020000,\"fee\":" fee ",\"confirmations\":" confs             \
        ",\"trusted\":true,\"txid\":\"" TXID1 "\",\"wtxid\":\"" TXID1 "\",\"walletconflicts\":[]," \
        "\"time\":1712150400,\"timereceived\":1712150400,\"bip125-replaceable\":\"no\","           \
        "\"comment\":\"r_1\",\"details\":[{\"address\":"                                           \
        "\"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9\","                                        \
        "\"category\":\"send\",\"amount\":-0.00020000,\"vout\":0,\"fee\":-0.00000999,"             \
        "\"abandoned\":false}],\"hex\":\"0200\"},\"error\":null,\"id\":\"r1\"}"

static const struct row gettx_rows[] = {
    {"fee 141 sats", HTTPC_OK, 1, 200, GETTX("-0.00000141", "3"), OUTCOME_SUCCEEDED, TXID1, 141, 3,
     NULL},
    {"mempool", HTTPC_OK, 1, 200, GETTX("-0.00000141", "0"), OUTCOME_SUCCEEDED, TXID1, 141, 0,
     NULL},
    /* 0.1 + 0.2 BTC in a double is 0.30000000000000004: never via a double */
    {"large fee exact", HTTPC_OK, 1, 200, GETTX("-0.30000000", "1"), OUTCOME_SUCCEEDED, TXID1,
     30000000, 1, NULL},
    {"fee of one satoshi", HTTPC_OK, 1, 200, GETTX("-0.00000001", "1"), OUTCOME_SUCCEEDED, TXID1, 1,
     1, NULL},
    {"conflicted", HTTPC_OK, 1, 200, GETTX("-0.00000141", "-2"), OUTCOME_UNKNOWN, TXID1, 141, -2,
     "conflicted"},
    {"fee with 9 decimals", HTTPC_OK, 1, 200, GETTX("-0.000001411", "1"), OUTCOME_UNKNOWN, TXID1,
     -1, 1, "unreadable"},
    {"fee in exponent form", HTTPC_OK, 1, 200, GETTX("-1.41e-06", "1"), OUTCOME_UNKNOWN, TXID1, -1,
     1, NULL},
    {"positive fee", HTTPC_OK, 1, 200, GETTX("0.00000141", "1"), OUTCOME_UNKNOWN, TXID1, -1, 1,
     NULL},
    {"unknown txid", HTTPC_OK, 1, 500, RPC_ERR(-5, "Invalid or non-wallet transaction id"),
     OUTCOME_NOT_FOUND, "", -1, 0, NULL},
    {"warmup", HTTPC_OK, 1, 500, RPC_ERR(-28, "Loading wallet..."), OUTCOME_UNKNOWN, "", -1, 0,
     NULL},
    {"transport", HTTPC_ERR_CONNECT, 0, 0, NULL, OUTCOME_UNKNOWN, "", -1, 0, NULL},
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
        if (got != r->want || out->outcome != r->want || strcmp(out->tx_id, r->tx_id) != 0 ||
            out->fee_sats != r->fee || out->confirmations != r->confirmations ||
            (r->reason != NULL && strstr(out->reason, r->reason) == NULL))
                fail_msg("%s: got %s tx '%s' fee %lld confs %lld reason '%s'; want %s", r->name,
                         outcome_name(out->outcome), out->tx_id, (long long)out->fee_sats,
                         (long long)out->confirmations, out->reason, outcome_name(r->want));
}

static void
test_send(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(send_rows) / sizeof(send_rows[0]); i++) {
                struct httpc_response resp = response(&send_rows[i]);
                struct payout_result out;
                enum outcome got = bitcoind_classify_send(&resp, &out);
                httpc_response_free(&resp);
                check(&send_rows[i], got, &out);
        }
}

static void
test_gettransaction(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(gettx_rows) / sizeof(gettx_rows[0]); i++) {
                struct httpc_response resp = response(&gettx_rows[i]);
                struct payout_result out;
                enum outcome got = bitcoind_parse_gettransaction(&resp, &out);
                httpc_response_free(&resp);
                check(&gettx_rows[i], got, &out);
        }
}

/* A send as gettransaction shows it, with its conflicts and abandoned flag. */
#define GETTX_VIEW(confs, conflicts, abandoned)                                                    \
        "{\"result\":{\"amount\":-0.00020000,\"fee\":-0.00000141,\"confirmations\":" confs         \
        ",\"trusted\":false,\"txid\":\"" TXID1 "\",\"wtxid\":\"" TXID1                             \
        "\",\"walletconflicts\":[" conflicts "],\"time\":1712150400,\"details\":[{\"address\":"    \
        "\"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9\",\"category\":\"send\",\"amount\":"       \
        "-0.00020000,\"vout\":0,\"fee\":-0.00000141,\"abandoned\":" abandoned "}],\"hex\":"        \
        "\"0200\"},\"error\":null,\"id\":\"r1\"}"

static void
test_tx_view(void **state)
{
        (void)state;
        static const struct {
                const char *name;
                long status;
                const char *body;
                enum payout_tx_state want;
                int64_t confirmations, fee;
        } rows[] = {
            {"mempool", 200, GETTX_VIEW("0", "", "false"), PAYOUT_TX_SEEN, 0, 141},
            {"3 deep", 200, GETTX_VIEW("3", "", "false"), PAYOUT_TX_SEEN, 3, 141},
            {"double-spent in a block", 200, GETTX_VIEW("-2", "\"" TXID2 "\"", "false"),
             PAYOUT_TX_CONFLICTED, -2, 141},
            {"replaced in the mempool", 200, GETTX_VIEW("0", "\"" TXID2 "\"", "false"),
             PAYOUT_TX_CONFLICTED, 0, 141},
            {"abandoned", 200, GETTX_VIEW("0", "", "true"), PAYOUT_TX_DROPPED, 0, 141},
            {"not in the wallet", 500, RPC_ERR(-5, "Invalid or non-wallet transaction id"),
             PAYOUT_TX_DROPPED, 0, -1},
            {"warmup", 500, RPC_ERR(-28, "Loading wallet..."), PAYOUT_TX_UNKNOWN, 0, -1},
            {"unreadable", 200, "{\"result\":{}}", PAYOUT_TX_UNKNOWN, 0, -1},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct httpc_response resp = {.status = rows[i].status, .sent = 1, .err = HTTPC_OK};
                resp.body = strdup(rows[i].body);
                resp.len = strlen(rows[i].body);
                struct payout_tx_view v;
                bitcoind_classify_tx_view(&resp, &v);
                httpc_response_free(&resp);
                if (v.state != rows[i].want || v.fee_sats != rows[i].fee ||
                    (v.state == PAYOUT_TX_SEEN && v.confirmations != rows[i].confirmations))
                        fail_msg("%s: got state %d confs %lld fee %lld (%s)", rows[i].name,
                                 (int)v.state, (long long)v.confirmations, (long long)v.fee_sats,
                                 v.reason);
        }
}

/* One listtransactions entry. */
#define LT(cat, comment, txid, fee, confs)                                                         \
        "{\"address\":\"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9\",\"category\":\"" cat        \
        "\",\"amount\":-0.00020000,\"label\":\"\",\"vout\":0,\"fee\":" fee                         \
        ",\"confirmations\":" confs ",\"trusted\":true,\"txid\":\"" txid "\",\"wtxid\":\"" txid    \
        "\",\"walletconflicts\":[],"                                                               \
        "\"time\":1712150400,\"timereceived\":1712150400,\"comment\":\"" comment "\","             \
        "\"bip125-replaceable\":\"no\",\"abandoned\":false}"
#define LIST(...) "{\"result\":[" __VA_ARGS__ "],\"error\":null,\"id\":\"r1\"}"

static const struct row list_rows[] = {
    {"found", 0, 0, 0,
     LIST(LT("send", "r_0", TXID2, "-0.00000500", "9") ",\n  " LT("send", "r_1", TXID1,
                                                                  "-0.00000141", "2")),
     OUTCOME_SUCCEEDED, TXID1, 141, 2, NULL},
    {"receive with that comment is not a send", 0, 0, 0,
     LIST(LT("receive", "r_1", TXID1, "0", "2")), OUTCOME_NOT_FOUND, "", -1, 0, NULL},
    {"absent", 0, 0, 0, LIST(LT("send", "r_10", TXID1, "-0.00000141", "2")), OUTCOME_NOT_FOUND, "",
     -1, 0, NULL},
    {"empty", 0, 0, 0, LIST(), OUTCOME_NOT_FOUND, "", -1, 0, NULL},
    /* Found by tests/fuzz/bitcoind: the tree says -1 (the escaped name), the
     * raw text 5; a repeated name is unreadable, not a confirmed send. */
    {"repeated name", 0, 0, 0,
     LIST("{\"category\":\"send\",\"comment\":\"r_1\",\"txid\":\"" TXID1
          "\",\"confirmati\\u006fns\":-1,\"confirmations\":5,\"fee\":-0.00000141}"),
     OUTCOME_UNKNOWN, "", -1, 0, "unreadable"},
    {"same txid twice", 0, 0, 0,
     LIST(LT("send", "r_1", TXID1, "-0.00000141", "0") "," LT("send", "r_1", TXID1, "-0.00000141",
                                                              "0")),
     OUTCOME_SUCCEEDED, TXID1, 141, 0, NULL},
    {"fee bump, replacement confirmed", 0, 0, 0,
     LIST(LT("send", "r_1", TXID2, "-0.00000141", "-1") "," LT("send", "r_1", TXID1, "-0.00000300",
                                                               "1")),
     OUTCOME_SUCCEEDED, TXID1, 300, 1, "fee-bumped"},
    {"two unconfirmed transactions", 0, 0, 0,
     LIST(LT("send", "r_1", TXID2, "-0.00000141", "0") "," LT("send", "r_1", TXID1, "-0.00000300",
                                                              "0")),
     OUTCOME_UNKNOWN, TXID2, 141, 0, "2 transactions"},
    {"conflicted send", 0, 0, 0, LIST(LT("send", "r_1", TXID1, "-0.00000141", "-3")),
     OUTCOME_UNKNOWN, TXID1, 141, -3, "conflicted"},
    {"fee unreadable", 0, 0, 0, LIST(LT("send", "r_1", TXID1, "-1e-6", "2")), OUTCOME_UNKNOWN, "",
     -1, 0, "unreadable"},
    {"RPC error", 0, 0, 0, RPC_ERR(-18, "Requested wallet does not exist or is not loaded"),
     OUTCOME_UNKNOWN, "", -1, 0, NULL},
    {"not JSON", 0, 0, 0, "garbage", OUTCOME_UNKNOWN, "", -1, 0, NULL},
};

static void
test_find_by_comment(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(list_rows) / sizeof(list_rows[0]); i++) {
                struct payout_result out;
                const char *t = list_rows[i].body;
                enum outcome got = bitcoind_find_send_by_comment(t, strlen(t), "r_1", &out);
                check(&list_rows[i], got, &out);
        }
}

static void
test_request(void **state)
{
        (void)state;
        char *p = bitcoind_sendtoaddress_params("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9",
                                                2000, "r_1", 0);
        assert_string_equal(p, "[\"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9\",\"0.00002000\","
                               "\"r_1\",\"\",false,true]");
        char *r = btcrpc_request("sendtoaddress", p, "refund-r_1");
        assert_string_equal(r, "{\"id\":\"refund-r_1\",\"method\":\"sendtoaddress\",\"params\":["
                               "\"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9\",\"0.00002000\","
                               "\"r_1\",\"\",false,true]}");
        free(p);
        free(r);
        /* 0.1 + 0.2 BTC: exact text, where a double would give 0.30000000000000004 */
        p = bitcoind_sendtoaddress_params("bc1q", 10000000 + 20000000, "r\"2", 0);
        assert_string_equal(p, "[\"bc1q\",\"0.30000000\",\"r\\\"2\",\"\",false,true]");
        free(p);
        p = bitcoind_sendtoaddress_params("bc1q", 2100000000000000LL, "r", 0);
        assert_string_equal(p, "[\"bc1q\",\"21000000.00000000\",\"r\",\"\",false,true]");
        free(p);
        /* buyer_pays_fee: subtractfeefromamount */
        p = bitcoind_sendtoaddress_params("bc1q", 5000, "r", 1);
        assert_string_equal(p, "[\"bc1q\",\"0.00005000\",\"r\",\"\",true,true]");
        free(p);
        assert_null(bitcoind_sendtoaddress_params("bc1q", 0, "r", 0));
        assert_null(bitcoind_sendtoaddress_params("bc1q", 2100000000000001LL, "r", 1));
        r = btcrpc_request("getblockchaininfo", NULL, "1");
        assert_string_equal(r, "{\"id\":\"1\",\"method\":\"getblockchaininfo\",\"params\":[]}");
        free(r);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_send),    cmocka_unit_test(test_gettransaction),
            cmocka_unit_test(test_tx_view), cmocka_unit_test(test_find_by_comment),
            cmocka_unit_test(test_request),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
