/* The on-chain watcher's reading of listsinceblock (api/chainscan.c) and the
 * BIP21 URI of a new invoice (api/instructions.c). Answers are in Bitcoin
 * Core's format: legacy JSON-RPC, amounts with exactly 8 decimals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainscan.h"
#include "instructions.h"

#define TX1  "aa00000000000000000000000000000000000000000000000000000000000001"
#define TX2  "bb00000000000000000000000000000000000000000000000000000000000002"
#define TX3  "cc00000000000000000000000000000000000000000000000000000000000003"
#define BLK  "0f00000000000000000000000000000000000000000000000000000000000009"
#define ADDR "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"

static const char answer[] =
    "{\"result\":{\"transactions\":["
    "{\"address\":\"" ADDR "\",\"parent_descs\":[\"wpkh(...)#x\"],\"category\":\"receive\","
    "\"amount\":0.00021000,\"label\":\"inv_1\",\"vout\":1,\"abandoned\":false,"
    "\"confirmations\":0,\"trusted\":false,\"txid\":\"" TX1 "\",\"walletconflicts\":[\"" TX2 "\"],"
    "\"mempoolconflicts\":[\"" TX2 "\"],\"time\":1,\"timereceived\":1,"
    "\"bip125-replaceable\":\"yes\"},"
    "{\"address\":\"" ADDR "\",\"category\":\"send\",\"amount\":-0.00001000,\"vout\":0,"
    "\"fee\":-0.00000141,\"confirmations\":3,\"txid\":\"" TX3 "\"},"
    "{\"address\":\"" ADDR "\",\"category\":\"receive\",\"amount\":20999999.99999999,"
    "\"vout\":0,\"confirmations\":2,\"blockhash\":\"" BLK "\",\"txid\":\"" TX2 "\","
    "\"walletconflicts\":[\"" TX1 "\"],\"mempoolconflicts\":[]}],"
    "\"removed\":[{\"address\":\"" ADDR "\",\"category\":\"receive\",\"amount\":0.00000546,"
    "\"vout\":3,\"confirmations\":-1,\"txid\":\"" TX3 "\"}],"
    "\"lastblock\":\"" BLK "\"},\"error\":null,\"id\":\"qpayd\"}\n";

static void
parses_receives_removed_first(void **state)
{
        (void)state;
        struct chainscan s;
        char err[200];
        assert_int_equal(chainscan_parse(answer, strlen(answer), &s, err, sizeof(err)), 0);
        assert_string_equal(s.lastblock, BLK);
        assert_int_equal(s.n, 3); /* the send is skipped */
        assert_string_equal(s.items[0].txid, TX3);
        assert_int_equal(s.items[0].vout, 3);
        assert_int_equal(s.items[0].amount_sats, 546);
        assert_int_equal(s.items[0].confirmations, -1);
        assert_string_equal(chainscan_state(&s.items[0], 1), "removed");
        assert_string_equal(s.items[1].txid, TX1);
        assert_int_equal(s.items[1].amount_sats, 21000);
        assert_true(s.items[1].replaced);
        assert_string_equal(chainscan_state(&s.items[1], 0), "removed");
        /* every digit kept: past 2^53 msat, no double in between */
        assert_int_equal(s.items[2].amount_sats, INT64_C(2099999999999999));
        assert_false(s.items[2].replaced);
        assert_string_equal(s.items[2].address, ADDR);
        assert_string_equal(chainscan_state(&s.items[2], 2), "credited");
        assert_string_equal(chainscan_state(&s.items[2], 3), "seen");
        chainscan_free(&s);
}

static void
states(void **state)
{
        (void)state;
        struct chainscan_entry e = {.confirmations = 0};
        assert_string_equal(chainscan_state(&e, 0), "credited");
        assert_string_equal(chainscan_state(&e, 1), "seen");
        e.confirmations = 6;
        assert_string_equal(chainscan_state(&e, 6), "credited");
        e.confirmations = -3;
        assert_string_equal(chainscan_state(&e, 0), "removed");
}

static int
parse_text(const char *text)
{
        struct chainscan s;
        char err[200];
        int rc = chainscan_parse(text, strlen(text), &s, err, sizeof(err));
        if (rc == 0)
                chainscan_free(&s);
        return rc;
}

static void
refuses_what_it_cannot_read(void **state)
{
        (void)state;
        /* 9 decimals, an exponent, a string id, a fractional vout, no lastblock */
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[{\"address\":\"a\","
                                    "\"category\":\"receive\",\"amount\":0.000000001,\"vout\":0,"
                                    "\"confirmations\":1,\"txid\":\"" TX1 "\"}],"
                                    "\"lastblock\":\"" BLK "\"}}"),
                         -1);
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[{\"address\":\"a\","
                                    "\"category\":\"receive\",\"amount\":1e-5,\"vout\":0,"
                                    "\"confirmations\":1,\"txid\":\"" TX1 "\"}],"
                                    "\"lastblock\":\"" BLK "\"}}"),
                         -1);
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[{\"address\":\"a\","
                                    "\"category\":\"receive\",\"amount\":0.1,\"vout\":0.5,"
                                    "\"confirmations\":1,\"txid\":\"" TX1 "\"}],"
                                    "\"lastblock\":\"" BLK "\"}}"),
                         -1);
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[]}}"), -1);
        assert_int_equal(parse_text("{\"result\":null,\"error\":{\"code\":-5}}"), -1);
        assert_int_equal(parse_text("not json"), -1);
        /* Found by tests/fuzz/chainscan: refused, not an undefined conversion. */
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[{\"category\":\"receive\","
                                    "\"address\":\"" ADDR "\",\"amount\":0.1,\"vout\":1e300,"
                                    "\"confirmations\":1,\"txid\":\"" TX1 "\"}],"
                                    "\"lastblock\":\"" BLK "\"}}"),
                         -1);
        assert_int_equal(parse_text("{\"result\":{\"transactions\":[],\"lastblock\":\"" BLK "\"}}"),
                         0);
}

/* Found by tests/fuzz/chainscan: an answer whose text and tree could tell
 * different amounts (a repeated name, bytes after the value) is refused. */
static void
refuses_ambiguous_answers(void **state)
{
        (void)state;
#define ONE(amount)                                                                                \
        "{\"transactions\":[{\"category\":\"receive\",\"address\":\"" ADDR "\",\"amount\":" amount \
        ",\"vout\":0,\"confirmations\":1,\"txid\":\"" TX1 "\"}],\"lastblock\":\"" BLK "\"}"
        assert_int_equal(parse_text("{\"result\":" ONE("0.00001000") "}"), 0);
        assert_int_equal(parse_text("{\"res\\u0075lt\":" ONE("0.00001000") ",\"result\":" ONE(
                             "20000000.00000000") "}"),
                         -1);
        assert_int_equal(parse_text("{\"result\":" ONE("0.00001000") "}\n{\"result\":" ONE(
                             "20000000.00000000") "}"),
                         -1);
#undef ONE
}

/* Found by tests/fuzz/chainscan: the cursor is lowered like every hash. */
static void
lowers_lastblock(void **state)
{
        (void)state;
        static const char text[] =
            "{\"result\":{\"transactions\":[],\"lastblock\":"
            "\"0A00000000000000000000000000000000000000000000000000000000000009\"}}";
        struct chainscan s;
        char err[200];
        assert_int_equal(chainscan_parse(text, strlen(text), &s, err, sizeof(err)), 0);
        assert_string_equal(s.lastblock,
                            "0a00000000000000000000000000000000000000000000000000000000000009");
        chainscan_free(&s);
}

static void
bip21(void **state)
{
        (void)state;
        char *s = instructions_bip21(ADDR, 1000, "lnbcrt10u1xyz");
        assert_string_equal(s, "bitcoin:" ADDR "?amount=0.00001&lightning=lnbcrt10u1xyz");
        free(s);
        s = instructions_bip21(ADDR, 250000000, NULL);
        assert_string_equal(s, "bitcoin:" ADDR "?amount=2.5");
        free(s);
        s = instructions_bip21(ADDR, 100000000, NULL);
        assert_string_equal(s, "bitcoin:" ADDR "?amount=1");
        free(s);
        s = instructions_bip21(ADDR, INT64_C(2100000000000000), NULL);
        assert_string_equal(s, "bitcoin:" ADDR "?amount=21000000");
        free(s);
        s = instructions_bip21(NULL, 5, "lnbcrt1");
        assert_string_equal(s, "lightning:lnbcrt1");
        free(s);
        assert_null(instructions_bip21(NULL, 5, NULL));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parses_receives_removed_first), cmocka_unit_test(states),
            cmocka_unit_test(refuses_what_it_cannot_read),   cmocka_unit_test(lowers_lastblock),
            cmocka_unit_test(refuses_ambiguous_answers),     cmocka_unit_test(bip21),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
