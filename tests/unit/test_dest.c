/* Refund destinations. Vectors: BIP173 and BIP350 (bech32, bech32m, segwit
 * addresses), Bitcoin Core src/test/data/key_io_valid.json and
 * key_io_invalid.json, BOLT #11 "Examples" and "Examples of Invalid
 * Invoices" (current and the earlier legacy set), BOLT #12
 * bolt12/offers-test.json and bolt12/format-string-test.json, LUD-01, and
 * our own for what those do not cover. Our own invoices reuse the signature
 * of BOLT #11's "$3 coffee" example: it no longer matches what it signs, which
 * qpayd cannot see (no secp256k1) and the paying node would refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base58.h"
#include "bech32.h"
#include "bolt11.h"
#include "dest.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define M (1u << DEST_NET_MAINNET)
#define T (1u << DEST_NET_TESTNET)
#define S (1u << DEST_NET_SIGNET)
#define R (1u << DEST_NET_REGTEST)

static const enum dest_network all_nets[] = {DEST_NET_MAINNET, DEST_NET_TESTNET, DEST_NET_SIGNET,
                                             DEST_NET_REGTEST};

static int
setup(void **state)
{
        (void)state;
        return sodium_init() < 0 ? -1 : 0;
}

static void
to_hex(char *out, const uint8_t *b, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = "0123456789abcdef"[b[i] >> 4];
                out[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
        }
        out[2 * n] = '\0';
}

/* Accepted with type on the networks in mask; elsewhere refused with a
 * message naming the store network. */
static void
expect_on(const char *s, enum dest_type type, unsigned mask)
{
        for (size_t i = 0; i < N(all_nets); i++) {
                struct dest d;
                char err[256] = "";
                const char *net = dest_network_name(all_nets[i]);
                int r = dest_parse(s, all_nets[i], &d, err, sizeof(err));
                if (mask & (1u << all_nets[i])) {
                        if (r != 0)
                                fail_msg("%s on %s: %s", s, net, err);
                        assert_int_equal(d.type, type);
                } else {
                        char want[64];
                        snprintf(want, sizeof(want), "store network is %s", net);
                        if (r != -1 || strstr(err, want) == NULL)
                                fail_msg("%s on %s: r=%d err=%s", s, net, r, err);
                }
        }
}

/* Refused on every network with exactly this message. */
static void
expect_err(const char *s, const char *want)
{
        for (size_t i = 0; i < N(all_nets); i++) {
                struct dest d;
                char err[256] = "";
                int r = dest_parse(s, all_nets[i], &d, err, sizeof(err));
                if (r != -1 || strcmp(err, want) != 0)
                        fail_msg("%s on %s: r=%d err=\"%s\", want \"%s\"", s,
                                 dest_network_name(all_nets[i]), r, err, want);
        }
}

static void
expect_err_on(const char *s, enum dest_network net, const char *want)
{
        struct dest d;
        char err[256] = "";
        int r = dest_parse(s, net, &d, err, sizeof(err));
        if (r != -1 || strcmp(err, want) != 0)
                fail_msg("%s on %s: r=%d err=\"%s\", want \"%s\"", s, dest_network_name(net), r,
                         err, want);
}

/* --- names ---------------------------------------------------------------- */

static void
test_names(void **state)
{
        (void)state;
        enum dest_network n;
        const char *names[] = {"mainnet", "testnet", "signet", "regtest"};
        for (size_t i = 0; i < N(names); i++) {
                n = (enum dest_network)99;
                assert_int_equal(dest_network_parse(names[i], &n), 0);
                assert_int_equal(n, (enum dest_network)i);
                assert_string_equal(dest_network_name(n), names[i]);
        }
        assert_int_equal(dest_network_parse("main", &n), -1);
        assert_int_equal(dest_network_parse("Mainnet", &n), -1);
        assert_int_equal(dest_network_parse("", &n), -1);
        assert_int_equal(dest_network_parse(NULL, &n), -1);
        assert_string_equal(dest_network_name((enum dest_network)7), "unknown");
        assert_string_equal(dest_type_name(DEST_BOLT11), "bolt11");
        assert_string_equal(dest_type_name(DEST_BOLT12_OFFER), "bolt12_offer");
        assert_string_equal(dest_type_name(DEST_LIGHTNING_ADDRESS), "lightning_address");
        assert_string_equal(dest_type_name(DEST_LNURL), "lnurl");
        assert_string_equal(dest_type_name(DEST_BITCOIN_ADDRESS), "bitcoin_address");
        assert_string_equal(dest_type_name((enum dest_type)9), "unknown");
        assert_true(dest_type_is_lightning(DEST_BOLT11));
        assert_true(dest_type_is_lightning(DEST_BOLT12_OFFER));
        assert_true(dest_type_is_lightning(DEST_LIGHTNING_ADDRESS));
        assert_true(dest_type_is_lightning(DEST_LNURL));
        assert_false(dest_type_is_lightning(DEST_BITCOIN_ADDRESS));
}

/* --- bech32 / bech32m strings (BIP173, BIP350) ----------------------------- */

static void
test_bech32_valid_strings(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                enum bech32_encoding enc;
                const char *hrp;
        } v[] = {
            {"A12UEL5L", BECH32_ENC_BECH32, "a"},
            {"a12uel5l", BECH32_ENC_BECH32, "a"},
            {"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1t"
             "t5tgs",
             BECH32_ENC_BECH32,
             "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio"},
            {"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", BECH32_ENC_BECH32, "abcdef"},
            {"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc"
             "8247j",
             BECH32_ENC_BECH32, "1"},
            {"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", BECH32_ENC_BECH32,
             "split"},
            {"?1ezyfcl", BECH32_ENC_BECH32, "?"},
            {"A1LQFN3A", BECH32_ENC_BECH32M, "a"},
            {"a1lqfn3a", BECH32_ENC_BECH32M, "a"},
            {"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11s"
             "g7hg6",
             BECH32_ENC_BECH32M,
             "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber1"},
            {"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", BECH32_ENC_BECH32M, "abcdef"},
            {"11lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
             "udsr8",
             BECH32_ENC_BECH32M, "1"},
            {"split1checkupstagehandshakeupstreamerranterredcaperredlc445v", BECH32_ENC_BECH32M,
             "split"},
            {"?1v759aa", BECH32_ENC_BECH32M, "?"},
        };
        for (size_t i = 0; i < N(v); i++) {
                char hrp[100];
                uint8_t data[100];
                size_t n;
                enum bech32_encoding enc = 0;
                const char *e = NULL;
                if (bech32_decode(v[i].s, strlen(v[i].s), BECH32_ADDRESS_MAX, hrp, sizeof(hrp),
                                  data, sizeof(data), &n, &enc, &e) != 0)
                        fail_msg("%s: %s", v[i].s, e);
                assert_int_equal(enc, v[i].enc);
                assert_string_equal(hrp, v[i].hrp);
                assert_int_equal(n, strlen(v[i].s) - strlen(v[i].hrp) - 1 - 6);
        }
        /* The data values themselves: "qpzry9x8..." is 0, 1, 2, ... 31. */
        char hrp[16];
        uint8_t data[64];
        size_t n;
        enum bech32_encoding enc;
        const char *e;
        assert_int_equal(bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", 45, 90, hrp,
                                       sizeof(hrp), data, sizeof(data), &n, &enc, &e),
                         0);
        assert_int_equal(n, 32);
        for (size_t i = 0; i < 32; i++)
                assert_int_equal(data[i], i);
}

static void
test_bech32_invalid_strings(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                const char *err;
        } v[] = {
            /* BIP173 */
            {"\x20"
             "1nwldj5",
             "invalid character in bech32 string"},
            {"\x7f"
             "1axkwrx",
             "invalid character in bech32 string"},
            {"\x80"
             "1eym55h",
             "invalid character in bech32 string"},
            {"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1"
             "569pvx",
             "too long for a bech32 address (more than 90 characters)"},
            {"pzry9x0s0muk", "bech32 separator '1' missing"},
            {"1pzry9x0s0muk", "bech32 human-readable part is empty"},
            {"x1b4n0q5v", "invalid bech32 data character"},
            {"li1dgmt3", "bech32 checksum too short"},
            {"de1lg7wt\xff", "invalid character in bech32 string"},
            {"A1G7SGD8", "bech32 checksum mismatch"},
            {"10a06t8", "bech32 human-readable part is empty"},
            {"1qzzfhee", "bech32 human-readable part is empty"},
            /* BIP350 */
            {"\x20"
             "1xj0phk",
             "invalid character in bech32 string"},
            {"\x7f"
             "1g6xzxy",
             "invalid character in bech32 string"},
            {"\x80"
             "1vctc34",
             "invalid character in bech32 string"},
            {"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11"
             "d6pts4",
             "too long for a bech32 address (more than 90 characters)"},
            {"qyrz8wqd2c9m", "bech32 separator '1' missing"},
            {"1qyrz8wqd2c9m", "bech32 human-readable part is empty"},
            {"y1b0jsk6g", "invalid bech32 data character"},
            {"lt1igcx5c0", "invalid bech32 data character"},
            {"in1muywd", "bech32 checksum too short"},
            {"mm1crxm3i", "invalid bech32 data character"},
            {"au1s5cgom", "invalid bech32 data character"},
            {"M1VUXWEZ", "bech32 checksum mismatch"},
            {"16plkw9", "bech32 human-readable part is empty"},
            {"1p2gdwpf", "bech32 human-readable part is empty"},
            /* ours */
            {"A12UEL5l", "bech32 string mixes upper and lower case"},
            {"a12uel5m", "bech32 checksum mismatch"},
        };
        for (size_t i = 0; i < N(v); i++) {
                char hrp[100];
                uint8_t data[100];
                size_t n;
                enum bech32_encoding enc;
                const char *e = "";
                if (bech32_decode(v[i].s, strlen(v[i].s), BECH32_ADDRESS_MAX, hrp, sizeof(hrp),
                                  data, sizeof(data), &n, &enc, &e) != -1 ||
                    strcmp(e, v[i].err) != 0)
                        fail_msg("vector %zu: got \"%s\", want \"%s\"", i, e, v[i].err);
        }
}

static void
test_bech32_5to8(void **state)
{
        (void)state;
        uint8_t out[8];
        size_t n;
        /* "hi" = 0x68 0x69: 01101 00001 10100 1(0000) */
        const uint8_t ok[] = {13, 1, 20, 16};
        assert_int_equal(bech32_5to8(ok, 4, out, sizeof(out), &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(out[0], 0x68);
        assert_int_equal(out[1], 0x69);
        const uint8_t badpad[] = {13, 1, 20, 17}; /* leftover bits not zero */
        assert_int_equal(bech32_5to8(badpad, 4, out, sizeof(out), &n), -1);
        const uint8_t spare[] = {0}; /* 5 leftover bits: a whole spare value */
        assert_int_equal(bech32_5to8(spare, 1, out, sizeof(out), &n), -1);
        const uint8_t six[] = {13, 1, 20, 16, 0, 0}; /* 30 bits: 6 left over */
        assert_int_equal(bech32_5to8(six, 6, out, sizeof(out), &n), -1);
        const uint8_t one[] = {13, 1, 20, 16, 0}; /* 25 bits: 3 bytes, 1 zero bit left */
        assert_int_equal(bech32_5to8(one, 5, out, sizeof(out), &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[2], 0);
        const uint8_t big[] = {32};
        assert_int_equal(bech32_5to8(big, 1, out, sizeof(out), &n), -1);
        assert_int_equal(bech32_5to8(ok, 4, out, 1, &n), -1); /* no room */
        assert_int_equal(bech32_char_value('q'), 0);
        assert_int_equal(bech32_char_value('L'), 31);
        assert_int_equal(bech32_char_value('b'), -1);
        assert_int_equal(bech32_char_value('\0'), -1);
}

/* --- segwit addresses ---------------------------------------------------- */

static const struct {
        const char *addr;
        const char *script;
        unsigned nets;
} segwit_valid[] = {
    /* BIP173 (still valid) */
    {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6",
     M},
    {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", T | S},
    {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", T | S},
    /* BIP350 */
    {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", M},
    {"BC1SW50QGDZ25J", "6002751e", M},
    {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323", M},
    {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", T | S},
    {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", M},
    /* BACKENDS.md */
    {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6",
     M},
    /* key_io_valid.json: main -> bc, testnet4/signet -> tb, regtest -> bcrt */
    {"bc1qvyq0cc6rahyvsazfdje0twl7ez82ndmuac2lhv", "00146100fc6343edc8c874496cb2f5bbfec88ea9b77c",
     M},
    {"bc1qyucykdlhp62tezs0hagqury402qwhk589q80tqs5myh3rxq34nwqhkdhv7",
     "002027304b37f70e94bc8a0fbf500e0c957a80ebda87280ef58214d92f119811acdc", M},
    {"bc1p83n3au0rjylefxq2nc2xh2y4jzz4pm6zxj4mw5pagdjjr2a9f36s6jjnnu",
     "51203c671ef1e3913f94980a9e146ba895908550ef4234abb7503d436521aba54c75", M},
    {"bc1z2rksukkjr8", "520250ed", M},
    {"tb1qcrh3yqn4nlleplcez2yndq2ry8h9ncg3qh7n54", "0014c0ef1202759fff90ff19128936814321ee59e111",
     T | S},
    {"tb1quyl9ujpgwr2chdzdnnalen48sup245vdfnh2jxhsuq3yx80rrwlq5hqfe4",
     "0020e13e5e482870d58bb44d9cfbfccea78702aad18d4ceea91af0e022431de31bbe", T | S},
    {"tb1p35n52jy6xkm4wd905tdy8qtagrn73kqdz73xe4zxpvq9t3fp50aqk3s6gz",
     "51208d2745489a35b75734afa2da43817d40e7e8d80d17a26cd4460b0055c521a3fa", T | S},
    {"tb1rgv5m6uvdk3kc7qsuz0c79v88ycr5w4wa", "53104329bd718db46d8f021c13f1e2b0e726", T | S},
    {"tb1q3vya2h5435jkugq2few7dmktlrwq4ejmfaw7kr", "00148b09d55e958d256e200a4e5de6eecbf8dc0ae65b",
     T | S},
    {"tb1qxkhrl2s6ttrclckldruea0e8anhrehffl8xv7t0pdyrzm08v2hyqy408nf",
     "002035ae3faa1a5ac78fe2df68f99ebf27ecee3cdd29f9cccf2de169062dbcec55c8", T | S},
    {"tb1pae5um27ahn8n73pgexe3kcwlp8dhswpn684h2k2w6t9a7w3eq65qephd5y",
     "5120ee69cdabddbccf3f4428c9b31b61df09db783833d1eb75594ed2cbdf3a3906a8", T | S},
    {"tb1rx9n9g37az8mu236e5jpxdt0m67y4fuq8rhs0ss3djnm0kscfrwvq0ntlyg",
     "532031665447dd11f7c54759a48266adfbd78954f0071de0f8422d94f6fb43091b98", T | S},
    {"bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", "00146f58bac9506f9bfb821d62e69330410bb56f0085",
     R},
    {"bcrt1qan8gntac7z7me2ejt4hpru42ad2f759fmy0m3ejvs98656znv7eqga4uhv",
     "0020ecce89afb8f0bdbcab325d6e11f2aaeb549f50a9d91fb8e64c814faa685367b2", R},
    {"bcrt1pfwxjqvtt4tcxrtdluukfmy2dv7xd2qzdfy6kajv5nwn4yam3wxkq3553uh",
     "51204b8d20316baaf061adbfe72c9d914d678cd5004d49356ec9949ba752777171ac", R},
    {"bcrt1sx6p8njlx7h9mc2agz4yg82dzne23050ncq72cneeecez2pst8mahn8xecsf8g6hzx94420",
     "6028368279cbe6f5cbbc2ba8154883a9a29e5517d1f3c03cac4f39ce3225060b3efb799cd9c412746ae2", R},
    {"bc1qhxt04s5xnpy0kxw4x99n5hpdf5pmtzpqs52es2", "0014b996fac2869848fb19d5314b3a5c2d4d03b58820",
     M},
    {"bc1qgc9ljrvdf2e0zg9rmmq86xklqwfys7r6wptjlacdgrcdc7sa6ggqu4rrxf",
     "0020460bf90d8d4ab2f120a3dec07d1adf039248787a70572ff70d40f0dc7a1dd210", M},
    {"bc1pve739yap4uxjvfk0jrey69078u0gasm2nwvv483ec6zkzulgw9xqu4w9fd",
     "5120667d1293a1af0d2626cf90f24d15fe3f1e8ec36a9b98ca9e39c6856173e8714c", M},
    {"bc1zmjtqxkzs89", "5202dc96", M},
    {"tb1ql4k5ayv7p7w0t0ge7tpntgpkgw53g2payxkszr", "0014fd6d4e919e0f9cf5bd19f2c335a03643a914283d",
     T | S},
    {"tb1q9jx3x2qqdpempxrcfgyrkjd5fzeacaqj4ua7cs7fe2sfd2wdaueq5wn26y",
     "00202c8d1328006873b098784a083b49b448b3dc7412af3bec43c9caa096a9cdef32", T | S},
    {"tb1pdswckwd9ym5yf5eyzg8j4jjwnzla8y0tf9cp7aasfkek0u29sz9qfr00yf",
     "51206c1d8b39a526e844d324120f2aca4e98bfd391eb49701f77b04db367f145808a", T | S},
    {"tb1r0ecpfxg2udhtc556gqrpwwhk4sw3f0kc", "53107e7014990ae36ebc529a4006173af6ac", T | S},
    {"tb1q6mwf89hnqhlu8txjgjfs4s7p93ugffn3k062ll", "0014d6dc9396f305ffc3acd244930ac3c12c7884a671",
     T | S},
    {"tb1qafrjalu4d73dql0czau9j6z422434kef235mzljf48ckd5xz3sys09jm97",
     "0020ea472eff956fa2d07df8177859685552ab1adb295469b17e49a9f166d0c28c09", T | S},
    {"tb1pwst9qszjrhuv2e7as0flcq9gm698v6gdxzz9e87p07s8rssdx3zqklm3vf",
     "512074165040521df8c567dd83d3fc00a8de8a76690d30845c9fc17fa071c20d3444", T | S},
    {"tb1r3ss76jtsuxe8c8c8lxsehnpak55ylrgr345pww076l536ahjr6jsydamx3",
     "53208c21ed4970e1b27c1f07f9a19bcc3db5284f8d038d681739fed7e91d76f21ea5", T | S},
    {"bcrt1q65nhlm4hf2ptg3t264al57p7wjxj2c3s6kyt83", "0014d5277feeb74a82b4456ad57bfa783e748d256230",
     R},
    {"bcrt1qawvc90lpytw3z3k9etdx54l0exq5f5sqfzu5e45kjnl6slwayeeqx2dyac",
     "0020eb9982bfe122dd1146c5cada6a57efc98144d20048b94cd69694ffa87ddd2672", R},
    {"bcrt1p39a4s4vdcw9kqa8w2t0rp7aj8kfxyw7mce5sk5d70x6wnnmpvt7skf2kxy",
     "5120897b58558dc38b6074ee52de30fbb23d92623bdbc6690b51be79b4e9cf6162fd", R},
    {"bcrt1s489d9fhmyel0vzfqsrmew4x7r80asuqesm5hgqacy35daflcyufh3j8cgdtflvt99ph05m",
     "6028a9cad2a6fb267ef6092080f79754de19dfd8701986e97403b82468dea7f8271378c8f843569fb165", R},
};

static void
check_segwit(const char *addr, const char *script, unsigned nets)
{
        char hrp[8], got[100];
        uint8_t prog[40], spk[42];
        size_t n;
        int ver = -1;
        const char *e = NULL;
        if (bech32_segwit_decode(addr, strlen(addr), hrp, sizeof(hrp), &ver, prog, &n, &e) != 0)
                fail_msg("%s: %s", addr, e);
        /* scriptPubKey: OP_0 or OP_1..OP_16, then a push of the program */
        spk[0] = (uint8_t)(ver ? 0x50 + ver : 0);
        spk[1] = (uint8_t)n;
        memcpy(spk + 2, prog, n);
        to_hex(got, spk, n + 2);
        assert_string_equal(got, script);
        expect_on(addr, DEST_BITCOIN_ADDRESS, nets);
}

static void
test_segwit_valid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(segwit_valid); i++) {
                check_segwit(segwit_valid[i].addr, segwit_valid[i].script, segwit_valid[i].nets);
                /* key_io's tryCaseFlip: all upper or all lower is the same address */
                char flip[100];
                size_t len = strlen(segwit_valid[i].addr);
                int upper = segwit_valid[i].addr[0] >= 'A' && segwit_valid[i].addr[0] <= 'Z';
                for (size_t k = 0; k <= len; k++) {
                        char c = segwit_valid[i].addr[k];
                        if (upper && c >= 'A' && c <= 'Z')
                                c = (char)(c - 'A' + 'a');
                        else if (!upper && c >= 'a' && c <= 'z')
                                c = (char)(c - 'a' + 'A');
                        flip[k] = c;
                }
                check_segwit(flip, segwit_valid[i].script, segwit_valid[i].nets);
        }
}

static void
test_segwit_invalid(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                const char *err;
        } v[] = {
            /* BIP173 */
            {"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
             "unknown address prefix \"tc\" (expected bc, tb or bcrt)"},
            {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bech32 checksum mismatch"},
            {"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "invalid segwit witness version"},
            {"bc1rw5uspcuh", "segwit program must be 2 to 40 bytes"},
            {"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
             "invalid segwit program (bad length or non-zero padding)"},
            {"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "segwit v0 program must be 20 or 32 bytes"},
            {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
             "bech32 string mixes upper and lower case"},
            {"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
             "invalid segwit program (bad length or non-zero padding)"},
            {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
             "invalid segwit program (bad length or non-zero padding)"},
            {"bc1gmk9yu", "segwit address has no data"},
            /* BIP173's valid v1+ examples use bech32: BIP350 made them invalid */
            {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
             "segwit v1+ address must use bech32m, not bech32"},
            {"BC1SW50QA3JX3S", "segwit v1+ address must use bech32m, not bech32"},
            {"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
             "segwit v1+ address must use bech32m, not bech32"},
            /* BIP350 */
            {"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
             "unknown address prefix \"tc\" (expected bc, tb or bcrt)"},
            {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
             "segwit v1+ address must use bech32m, not bech32"},
            {"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
             "segwit v1+ address must use bech32m, not bech32"},
            {"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
             "segwit v1+ address must use bech32m, not bech32"},
            {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
             "segwit v0 address must use bech32, not bech32m"},
            {"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
             "segwit v0 address must use bech32, not bech32m"},
            {"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
             "invalid bech32 data character"},
            {"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
             "invalid segwit witness version"},
            {"bc1pw5dgrnzv", "segwit program must be 2 to 40 bytes"},
            {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
             "invalid segwit program (bad length or non-zero padding)"},
            {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
             "bech32 string mixes upper and lower case"},
            {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
             "invalid segwit program (bad length or non-zero padding)"},
            {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
             "invalid segwit program (bad length or non-zero padding)"},
            /* ours: 91 characters */
            {"bc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
             "qqqqqqqqqq",
             "too long for a bech32 address (more than 90 characters)"},
        };
        for (size_t i = 0; i < N(v); i++)
                expect_err(v[i].s, v[i].err);
}

/* --- base58check addresses ----------------------------------------------- */

static const struct {
        const char *addr;
        const char *script;
        unsigned nets;
} base58_valid[] = {
    {"1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac", M},
    {"36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", "a914373b819a068f32b7a6b38b6b38729647cfde01c287", M},
    {"mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac",
     T | S | R},
    {"2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", "a914ce0bba75891ff9ec60148d4bd4a09ee2dc5c933187",
     T | S | R},
    {"mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg", "76a914b4110ba93ac54afc14da3bdd19614774a2d55d2988ac",
     T | S | R},
    {"2N1r7aC69VHeE7yQJPDLi9T1PYq4wnwvjuT", "a9145e5a35ab44b3efaea5129ba22b88ba3e2976614587",
     T | S | R},
    {"n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ", "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac",
     T | S | R},
    {"2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA", "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87",
     T | S | R},
    {"1FjL87pn8ky6Vbavd1ZHeChRXtoxwRGCRd", "76a914a19331b7b2627e663e25a7b001e4c0dcc5e21bc788ac", M},
    {"3BZECeAH8gSKkjrTx8PwMrNQBLG18yHpvf", "a9146c382dcdf5b284760c8e3fead91f7422cd76aa8787", M},
    {"n4YNbYuFdPwFrxSP8sjHFbAhUbLMUiY9jE", "76a914fc8f9851f3c1e4719cd0b8e4816dd4e88c72e52888ac",
     T | S | R},
    {"2NAeQVZayzVFAtgeC3iYJsjpjWDmsDph71A", "a914bedc797342c03fd7a346c4c7857ca03d467013b687",
     T | S | R},
    {"mnCBpkNMJEJLehgdEkzSo2eioniyJMxLpZ", "76a914493c455551e48a1423263b62b127b436106a685488ac",
     T | S | R},
    {"2N5sNHomeNJDZv67AcFx9ES7FBZY4jx9KDA", "a9148a776a0f34d56b63e7c595f2b205dbe1c393617a87",
     T | S | R},
    {"mfhE6jAUwjUDNZhaX1PAsDTKfneQF2Nshc", "76a91401f15a4cc063dae4f4d56b89bfbc8bcc9ae5387c88ac",
     T | S | R},
    {"2MxNm1VHyVU4RuP3u1c1v5aQLk2dQjwy1Qk", "a91438456f7c076356abadcc67b92ad777eb20fb9f8887",
     T | S | R},
    {"1G9A9j6W8TLuh6dEeVwWeyibK1Uc5MfVFV", "76a914a614da54daacdb8861f451a0b7e3c27cdf8a099e88ac", M},
    {"33GA3ZXbw5o5HeUrBEaqkWXFYYZmdxGRRP", "a914113ca1afeb49ff3abf176ffa19c2a2b4df19712a87", M},
    {"mwgS2HRbjyfYxFnR1nF9VKLvmdgMfFBmGq", "76a914b14ce7070b53cb0e4b5b5f6e253e876990aeca2e88ac",
     T | S | R},
    {"2MwBVrJQ76BdaGD76CTmou8cZzQYLpe4NqU", "a9142b2c149cde619eae3d7fe995243b76a3417541aa87",
     T | S | R},
    {"mfnJ8tEkqKNFE5YaHTXFxyHk2mnDK2fvDh", "76a91402e6cd77e649ad8b281271f158fc964ca3f66cb088ac",
     T | S | R},
    {"2My83D67ir7K8PPzeT6mE2oth3ZwNTVRS9F", "a9144074d84d32ff62da7b1b3c61925b934bfeb34b0587",
     T | S | R},
};

static void
test_base58_valid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(base58_valid); i++) {
                const char *a = base58_valid[i].addr;
                uint8_t p[64];
                size_t n;
                const char *e = NULL;
                if (base58_check_decode(a, strlen(a), p, sizeof(p), &n, &e) != 0)
                        fail_msg("%s: %s", a, e);
                assert_int_equal(n, 21);
                char h[41], script[60];
                to_hex(h, p + 1, 20);
                if (p[0] == 0x00 || p[0] == 0x6f)
                        snprintf(script, sizeof(script), "76a914%s88ac", h);
                else if (p[0] == 0x05 || p[0] == 0xc4)
                        snprintf(script, sizeof(script), "a914%s87", h);
                else
                        fail_msg("%s: version 0x%02x", a, p[0]);
                assert_string_equal(script, base58_valid[i].script);
                expect_on(a, DEST_BITCOIN_ADDRESS, base58_valid[i].nets);
        }
}

static void
test_base58_codec(void **state)
{
        (void)state;
        uint8_t out[16];
        size_t n;
        /* Leading '1's are zero bytes; "2" is 1; "21" is 58. */
        assert_int_equal(base58_decode("1112", 4, out, sizeof(out), &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(out, "\0\0\0\1", 4);
        assert_int_equal(base58_decode("21", 2, out, sizeof(out), &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(out[0], 58);
        assert_int_equal(base58_decode("z", 1, out, sizeof(out), &n), 0);
        assert_int_equal(out[0], 57);
        assert_int_equal(base58_decode("0", 1, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("O", 1, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("I", 1, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("l", 1, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("", 0, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("2\0", 2, out, sizeof(out), &n), -1);
        assert_int_equal(base58_decode("zzzzzzzzzzzzzzzzzzzzzzzzz", 25, out, 4, &n), -1);
}

static void
test_key_io_invalid(void **state)
{
        (void)state;
        /* Every entry of key_io_invalid.json, on every network. */
        static const struct {
                const char *s;
                const char *err;
        } v[] = {
            {"", "destination is empty"},
            {"x", "base58 string too short"},
            {"1GAdfviErV2Ew95FPtZyikz2qGP3gyCB6Hyu94sedAkPpA523m3fQwps9YKUZkKgQckGPKhRsFR",
             "base58 string is not a P2PKH or P2SH address"},
            {"37G2kMDLpmWVhimxRdzwNfE8JFvWXnJYnVcXeeGrek2qumdJuK7XArcVVpRtLLjRra3t64BEPF2",
             "base58 string is not a P2PKH or P2SH address"},
            {"giymtio7u7oqWtmC9YnvAEKkLF3JQpAdkEFkVJKYrVDfaLbhaDpX1ihfF2vZmya1i61fwLPC3YQ",
             "base58 string is not a P2PKH or P2SH address"},
            {"8iVk9nLM3nYwRuwypjy9NK5rsuZH7BbrQRZ1pgcQmvMnjAgRXD",
             "base58 string is not a P2PKH or P2SH address"},
            {"cPTVQ1hbo4qdoysf6Jx5GthqucNmdfqt6J2pZRFeXv8Ep7Kmjqud",
             "base58 string is not a P2PKH or P2SH address"},
            {"cQbR2Ny85XFBzUMx3Ed6HsTLw2pVruSgPvt5AofnBUnhiv86gYeW",
             "base58 string is not a P2PKH or P2SH address"},
            {"2UB3iG3VJbX2TRrMwm6ssWskgvU9VjFBYSqCzwqkrihCwo7mg4mtS4WuGZgxTKuxf5A3EcotYEymz",
             "base58check checksum mismatch"},
            {"cQe12pqwPR6ExtZKfrKf1q4b3CTh1Qi7MwuvMvzs79nWXDvESfBJ",
             "base58 string is not a P2PKH or P2SH address"},
            {"tc1qeul5g2xfkvdkrhcfmdursv73ad64jnkjl9c40f",
             "unknown address prefix \"tc\" (expected bc, tb or bcrt)"},
            {"bt1pq65rzej5glw3ra79gav6fqnx4haa0z257qr3mc8cggkefahmgvyseufhc0",
             "unknown address prefix \"bt\" (expected bc, tb or bcrt)"},
            {"tb13hty4qmumlwpp6chxjvcyzza4duqgtmxw3xhm3u9ahj4nyhtwz8eq7ynrj4",
             "invalid segwit witness version"},
            {"bcrt1r2qxpwuge", "segwit program must be 2 to 40 bytes"},
            {"bc10uexgzna2dpfk0vjt35srz6a27ps6m0l89jweznt83n2sqn2fx4hvn9ym5af8wut34sfrqhk3",
             "invalid segwit program (bad length or non-zero padding)"},
            {"tb1qum6uh0pt4q253qaf520929737v63w5gf", "segwit v0 program must be 20 or 32 bytes"},
            {"bcrt1q888ryfgxpvl0k7vum8zpyar2u2sexvdhkf38ue37yknmqq0ycrwpl3w48y",
             "invalid segwit program (bad length or non-zero padding)"},
            {"bc1qdsuzmn04k2z8vryw8l4dj8m5ygqgnne5n",
             "invalid segwit program (bad length or non-zero padding)"},
            {"tb1qlj8es50nc8j8r8xshrjgzmw5azx89efghmw8ju6zcqla0g6xcnrstsjz7k",
             "bech32 checksum mismatch"},
            {"bcrt1qzwmyj0z924g7fzs5yvnrkc43y76RVyr2lh5t4r",
             "bech32 string mixes upper and lower case"},
            {"bc1qpu6d26mrulzetu4jqhd7rsunv9aqru26f5c4j8",
             "segwit v0 address must use bech32, not bech32m"},
            {"tb1qun6d26ufh77ghny6u5u8cwz9da7qwc6k4wkuceae9tth06eqlw0syupl4w",
             "segwit v0 address must use bech32, not bech32m"},
            {"bcrt1qj7g2jps453kj9htk9cxyyc2nxe69x4kzzmth7v",
             "segwit v0 address must use bech32, not bech32m"},
            {"bc1p702xksx4z3uqf0u2phllxkfe5cgu0adxptqs0uelx0tqt8e885sqryes2l",
             "segwit v1+ address must use bech32m, not bech32"},
            {"tb1z7gmh0v6pc30z4xum76lmw8w86yswrlmw",
             "segwit v1+ address must use bech32m, not bech32"},
            {"bcrt1sjsrw6nun4h502cr97xmnyyuhkr22q0s6efrgtu",
             "segwit v1+ address must use bech32m, not bech32"},
            {"2UVPFpGYnLHJezFzjUo42our6PMEoozzRdM", "unknown base58 address version 0xd4"},
            {"2MygHQjE1U33q3LSC53p69YqFjP8PihumJAF", "base58check checksum mismatch"},
            {"KzNbAQ4mexfAxa6RKBzHQqfoTycaeWpv2p", "unknown base58 address version 0x2f"},
            {"2jDPrDfAKihCGPbPD9ztY8TswAia4V8Bc6vx", "base58check checksum mismatch"},
            {"4VQUNG1hG64QFtaNyQZQWDdwpxB275Pwb3tvyPt2HDxB8Mi2MgH8Tz3AC83YYiz9LydsLNXEZJLHY",
             "base58 string is not a P2PKH or P2SH address"},
            {"39TKsUQ5QpEL1wowc6GMUqak94ijirPuP69ooV3xsFmiKQX2dau",
             "base58 string is not a P2PKH or P2SH address"},
            {"2UEJjT3dSdwc8dAo7oedPzznXceXCEsBbDfAvSymqpqDrkZMv7JBEUpLyhkghioYAWC9W4sKysry",
             "base58 string is not a P2PKH or P2SH address"},
            {"7VmMEkphxCFSV1y659Th4dkk6x6bJS5eQvbt8rzUYKQyd6ACgwQ4vXHtXKFUwP2kW3XULipnHJdZ7",
             "base58 string is not a P2PKH or P2SH address"},
            {"tc1qdlapns4zkn03juf2k9xwwpct209suj6mgcd9gh",
             "unknown address prefix \"tc\" (expected bc, tb or bcrt)"},
            {"bt1psa5eptk29c4jc9yumeseat3a0l5e2fpmw635za2p4gpwdnthueysxga9je",
             "unknown address prefix \"bt\" (expected bc, tb or bcrt)"},
            {"tb13w8c43lykfj3lvm9sgp6dsnfjla3d57cm83seykunf0ltxjc9lt2q4efm4d",
             "invalid segwit witness version"},
            {"bcrt1rjqr2tdkm", "segwit program must be 2 to 40 bytes"},
            {"bc10lyxwnxa70l270e6fcmxr4x7dtgu2yvy7gzkurwxy4zhdvgaqrrn6pfg2flyhqzy5t5se8yu3",
             "invalid segwit program (bad length or non-zero padding)"},
            {"TB1QFDFM763VXVSUNZHQLPWC0Q8FG5LJX6ZN", "segwit v0 program must be 20 or 32 bytes"},
            {"bcrt1q60chha7wfwlau4kdr4mlvyeyc8mnnh9dhxk05e0hmrxcuhghefj36uwyha",
             "invalid segwit program (bad length or non-zero padding)"},
            {"bc1gmk9yu", "segwit address has no data"},
            {"tb1ly0q7p", "bech32 checksum mismatch"},
            {"bcrt1qdwttaw38uf42wxw40kwk3u8nguyTQH3hx6jmqp",
             "bech32 string mixes upper and lower case"},
            {"bc1qtsvlht6730n04f2mpaj5vv8hrledn5n5ug8c79",
             "segwit v0 address must use bech32, not bech32m"},
            {"tb1dclvmr", "segwit address has no data"},
            {"bcrt1q3fqvctqu48wsvggrt09vj0yk2gzzcscdp4h98u",
             "segwit v0 address must use bech32, not bech32m"},
            {"bc1prklpq7tjcawg89cmwwqr3u5apwav36xa4zz56ady7crsllm6mpnqts7p86",
             "segwit v1+ address must use bech32m, not bech32"},
            {"tb1zkm58zyhxz3ffkfgsyprflg543slsl4c4",
             "segwit v1+ address must use bech32m, not bech32"},
            {"bcrt1snzr5kaypnfhpnjanrhd20fhqcjxm3hfh7dw9fu",
             "segwit v1+ address must use bech32m, not bech32"},
            {"2GgnYKqBGuA2Mm5GnrPsMTZR81xPhNtgMYoFUZngZGiobhCuUpCaTriUHRcgFreEekNdPAR17q8d",
             "base58 string is not a P2PKH or P2SH address"},
            {"AZEah8d1EK362okRBS66e8SvdtYkrE8tsX", "unknown base58 address version 0x17"},
            {"gep8xr77FyPW6zYP15RiV9W8nL6w2HyHB16cUDakfyDceMA6ZzUdhJjk2LPuLYHnLkBqkRTTi6z",
             "base58 string is not a P2PKH or P2SH address"},
            {"2NDNP7GY59tTJPZTpbkprhM9SR99Nn5rUs7", "base58check checksum mismatch"},
            {"2Csgzy2T287YAjeU5tFtt1nPshBZAUFQi4WtgaWyZGKSBNnKXHy2Tmxo8QK4Mfdds977ShcDWC5o",
             "base58 string is not a P2PKH or P2SH address"},
            {"Kwjk3Vy6sdXMQDGWJzaWmqFxUNtWZCX1q4F4Kpt8jNNUoWJUUaTY",
             "base58check checksum mismatch"},
            {"Svj8kk98bAS9V4L2crmxakbhmnPm3cJ1tJ4Je4yVzDreU8eSTFURS1SPYv5oWEQD8Q9VBDvx5uF",
             "base58 string is not a P2PKH or P2SH address"},
            {"KNYsv6v9GtkGeD4WdQnBEJCrPKQm91PTxAbCfXr66LEd4JDmhPWC",
             "base58 string is not a P2PKH or P2SH address"},
            {"2UJ2H2xvAeXmFKfQwMyDoSdQTTPFMNCT3SsoUafBWKzoGP3NsUK1buEgQZG38viyD53jgMdpqfT7",
             "base58 string is not a P2PKH or P2SH address"},
            {"6aLMfayKF4TW4ecn5SEc8FExpyJA2peKxYRGZhes6tQ4NTTzuGy",
             "base58 string is not a P2PKH or P2SH address"},
            {"7VP4FmcebU2thJns9MnXde7LWfuqR5vMizrAuUoq2GcJjzTyA4RHFcPVdZL8PLg1SbpSFdJrvLXoY5",
             "base58check checksum mismatch"},
            {"tc1q5qdvt99uc92jyz663dtdpfpv6nr67ahmgwcpq2",
             "unknown address prefix \"tc\" (expected bc, tb or bcrt)"},
            {"bt1peu3ppd7x796sjjenp09r8cs22rhylqm9lhggk72qp8q22vzft0wq2a0x6j",
             "unknown address prefix \"bt\" (expected bc, tb or bcrt)"},
            {"tb1323z3lnz7dl3kd0nsuh6xy4he9almzl67anxgg3xdzkaxc9rwntlqdhdzd7",
             "invalid segwit witness version"},
            {"bcrt1r2gc42sky", "segwit program must be 2 to 40 bytes"},
            {"bc10fd889x4hd54tqu2ewg9t4hhft2wl7m6x50av4uswzw46xe6as0xmltfg7vrjfkvm459vld7w",
             "invalid segwit program (bad length or non-zero padding)"},
            {"TB1QZY7V0F2AT3308YGGNGN66ULJTCN3RY6F", "segwit v0 program must be 20 or 32 bytes"},
            {"bcrt1qjg3cwht92znyw0l4r5rtctmls337nrc7g0ry9drjxmlecjd3atl3fake7c",
             "invalid segwit program (bad length or non-zero padding)"},
            {"bc1qmgf8xt8xkecl79k04mma3lz34gqep7hg4",
             "invalid segwit program (bad length or non-zero padding)"},
            {"TB1Q3F9WGNXE9ZMTTMDN5VKVKHYZ8Y0LCV72YV7V5LSXTJXEYHNHEHASLYL0TZ",
             "bech32 checksum mismatch"},
            {"spx1qq22l5s6l9460ww6t4tkzsy2a7zejurcmzz35pt0ffrzk5erlaykdcqugecjjnjqf7ggq39vl6wexjlm0"
             "0n66z94v675n7wcux6d2krr68g37pn04",
             "invalid base58 character"},
            {"sp1qq22l5s6l9460ww6t4tkzsy2a7zejurcmzz35pt0ffrzk5erlaykdcqugecjjnjqf7ggq39vl6wexjlm00"
             "n66z94v675n7wcux6d2krr68gcwu9kg",
             "invalid base58 character"},
            {"sp1qqgqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq2qugecjjnjqf7ggq39vl6wexjlm00"
             "n66z94v675n7wcux6d2krr68g25havg",
             "invalid base58 character"},
            {"sp1qq22l5s6l9460ww6t4tkzsy2a7zejurcmzz35pt0ffrzk5erlaykdcqsqqqqqqqqqqqqqqqqqqqqqqqqqq"
             "qqqqqqqqqqqqqqqqqqqqqqqq57qc9nf",
             "invalid base58 character"},
            {"sp1lq22l5s6l9460ww6t4tkzsy2a7zejurcmzz35pt0ffrzk5erlaykdcqugecjjnjqf7ggq39vl6wexjlm00"
             "n66z94v675n7wcux6d2krr68gaafydt",
             "invalid base58 character"},
            {"sp1qq22l5s6l9460ww6t4tkzsy2a7zejurcmzz35pt0ffrzk5erlaykdcznsxsn",
             "unknown address prefix \"sp\" (expected bc, tb or bcrt)"},
            {"tsp1qqthpye3hdcnydp9temp7yduy6uw5h2nw8u9fz677ccrna280qwj3uq60zeqs3zfpj3age62h4ljq2lya"
             "wwdecmk8a545yysk4x3tu3skjqm2thum",
             "invalid base58 character"},
            {"sp1qqgqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsqqqqqqqqqqqqqqqqqqqqqqqqqq"
             "qqqqqqqqqqqqqqqqqqqqqqqqqf26rn7",
             "base58check checksum mismatch"},
            {"sprt1qqgqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq2qu4kvg0nm62d5jtmqp54lkc7tu"
             "l0dzt25ejtn4f80505z3u0h5jagf9zkp5",
             "invalid base58 character"},
        };
        for (size_t i = 0; i < N(v); i++)
                expect_err(v[i].s, v[i].err);
}

static void
test_private_keys_refused(void **state)
{
        (void)state;
        /* key_io_valid.json's WIF keys: valid base58check, not addresses. */
        static const char *const wif[] = {
            "5JuW2AMDYu4xVwRG9DZW18VbzQrGcd5RCgb99sS6ehJsNQXu5b9",
            "L5nJeqKmpHp4P7F8ZYyjwc5a7P4d8EabuGAzfGJk7yC1BJyzNaEd",
            "92ZdE5HoLafywnTBbzPxbvRmp75pSfzvdU3XaZGh1cToipgdHVh",
            "cV83kKisF3RQSvXbUCm9ox3kaz5JjEUBWcx8tNydfGJcyeUxuH47",
            "92QuSnywrhsV7WPZChTgSQA23uSmj9MCEEno1eRBDG9sg8M29cX",
            "cND53Dhp8eCZqG2ghe8YhSCGesXZ8fE5PGD1khrqNvEi4RBoXhEK",
            "91mn1wYKEB1zyof1VFm8tMtocZx1oBrKKRCu9GCpgZvPmBLEJjp",
            "cPisAUdLvqqAr6MYtXnrWvgvyUAwuNyuTvZkDGw6miPhZdaiSDNH",
            "5HsL2nZuEebU5nM3RxNVQD9GcAnvNMahqQskf4fkqHe54zwd14e",
            "KwuVvu6hsuEMHrfFWJQV64tRrWX3QzqHH18JuAHYqYV6dqBvNKxd",
        };
        for (size_t i = 0; i < N(wif); i++) {
                uint8_t p[64];
                size_t n;
                const char *e;
                /* The checksum is fine: only the shape says "not an address". */
                assert_int_equal(base58_check_decode(wif[i], strlen(wif[i]), p, sizeof(p), &n, &e),
                                 0);
                assert_true(n == 33 || n == 34);
                expect_err(wif[i], "base58 string is not a P2PKH or P2SH address");
        }
}

static void
test_address_network_messages(void **state)
{
        (void)state;
        expect_err_on("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", DEST_NET_TESTNET,
                      "address is for mainnet, store network is testnet");
        expect_err_on("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
                      DEST_NET_MAINNET,
                      "address is for testnet or signet, store network is mainnet");
        expect_err_on("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
                      DEST_NET_REGTEST,
                      "address is for testnet or signet, store network is regtest");
        expect_err_on("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", DEST_NET_SIGNET,
                      "address is for regtest, store network is signet");
        expect_err_on("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", DEST_NET_REGTEST,
                      "address is for mainnet, store network is regtest");
        expect_err_on("2N1r7aC69VHeE7yQJPDLi9T1PYq4wnwvjuT", DEST_NET_MAINNET,
                      "address is for testnet, signet or regtest, store network is mainnet");
        /* Changing one character breaks the checksum, not the network check. */
        expect_err("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mp", "base58check checksum mismatch");
        expect_err("bitcoin:1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo",
                   "URIs other than \"lightning:\" are not accepted");
}

/* --- BOLT11 --------------------------------------------------------------- */

struct bolt11_vector {
        const char *s;
        enum dest_network net;
        int has_amount;
        int64_t amount_msat;
        int64_t created_at;
        int64_t expires_at;
        const char *payment_hash;
};

static const struct bolt11_vector bolt11_valid[] = {
    {/* v1_donation */
     "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5"
     "rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae"
     "8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafk"
     "q3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql",
     DEST_NET_MAINNET, 0, 0LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v2_coffee */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsg"
     "quk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh"
     "0ymjpf39tuven09sam30g4vgpfna3rh",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v3_nonsense */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8"
     "d0xqzpu9qrsgqhtjpauu9ur7fw2thcl4y9vfvh4m9wlfyz2gem29g5ghe2aak2pm3ps8fdhtceqsaagt"
     "y2vph7utlgj48u0ged6a337aewvraedendscp573dxr",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v4_hashed */
     "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqc"
     "yq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw"
     "5fk98klysy043l2ahrqs9qrsgq7ea976txfraylvgzuxs8kgcw23ezlrszfnh8r6qtfpr6cxga50aj6t"
     "xm9rxrydzd06dfeawfk6swupvz4erwnyutnjq7x39ymw6j38gp7ynn44",
     DEST_NET_MAINNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v5_testnet */
     "lntb20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygshp58yjmdan"
     "79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqf"
     "qqqsyqcyq5rqwzqfqypqfpp3x9et2e20v6pu37c5d9vax37wxq72un989qrsgqdj545axuxtnfemtpwk"
     "c45hx9d2ft7x04mt8q7y6t0k2dge9e7h8kpy9p34ytyslj3yu569aalz2xdk8xkd7ltxqld94u8h2esm"
     "smacgpghe9k8",
     DEST_NET_TESTNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v6_routing */
     "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqc"
     "yq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw"
     "5fk98klysy043l2ahrqsfpp3qjmp7lwpagxun9pygexvgpjdc4jdj85fr9yq20q82gphp2nflc7jtzrc"
     "azrra7wwgzxqc8u7754cdlpfrmccae92qgzqvzq2ps8pqqqqqqpqqqqq9qqqvpeuqafqxu92d8lr6fvg"
     "0r5gv0heeeqgcrqlnm6jhphu9y00rrhy4grqszsvpcgpy9qqqqqqgqqqqq7qqzq9qrsgqdfjcdk6w3ak"
     "5pca9hwfwfh63zrrz06wwfya0ydlzpgzxkn5xagsqz7x9j4jwe7yj7vaf2k9lqsdk45kts2fd0fkr28a"
     "m0u4w95tt2nsq76cqw0",
     DEST_NET_MAINNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v7_p2sh */
     "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygshp58yjmdan"
     "79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqf"
     "qqqsyqcyq5rqwzqfqypqfppj3a24vwu6r8ejrss3axul8rxldph2q7z99qrsgqz6qsgww34xlatfj6e3"
     "sngrwfy3ytkt29d2qttr8qz2mnedfqysuqypgqex4haa2h8fx3wnypranf3pdwyluftwe680jjcfp438"
     "u82xqphf75ym",
     DEST_NET_MAINNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v8_p2wpkh */
     "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygshp58yjmdan"
     "79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqf"
     "qqqsyqcyq5rqwzqfqypqfppqw508d6qejxtdg4y5r3zarvary0c5xw7k9qrsgqt29a0wturnys2hhxpn"
     "er2e3plp6jyj8qx7548zr2z7ptgjjc7hljm98xhjym0dg52sdrvqamxdezkmqg4gdrvwwnf0kv2jdfnl"
     "4xatsqmrnsse",
     DEST_NET_MAINNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v9_p2wsh */
     "lnbc20m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygshp58yjmdan"
     "79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqf"
     "qqqsyqcyq5rqwzqfqypqfp4qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q9qrs"
     "gq9vlvyj8cqvq6ggvpwd53jncp9nwc47xlrsnenq2zp70fq83qlgesn4u3uyf4tesfkkwwfg3qs54qe4"
     "26hp3tz7z6sweqdjg05axsrjqp9yrrwc",
     DEST_NET_MAINNET, 1, 2000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v10_pico */
     "lnbc9678785340p1pwmna7lpp5gc3xfm08u9qy06djf8dfflhugl6p7lgza6dsjxq454gxhj9t7a0sd8"
     "dgfkx7cmtwd68yetpd5s9xar0wfjn5gpc8qhrsdfq24f5ggrxdaezqsnvda3kkum5wfjkzmfqf3jkgem"
     "9wgsyuctwdus9xgrcyqcjcgpzgfskx6eqf9hzqnteypzxz7fzypfhg6trddjhygrcyqezcgpzfysywmm"
     "5ypxxjemgw3hxjmn8yptk7untd9hxwg3q2d6xjcmtv4ezq7pqxgsxzmnyyqcjqmt0wfjjq6t5v4khxsp"
     "5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygsxqyjw5qcqp2rzjq0gxwkzc8w632"
     "3m55m4jyxcjwmy7stt9hwkwe2qxmy8zpsgg7jcuwz87fcqqeuqqqyqqqqlgqqqqn3qq9q9qrsgqrvgkp"
     "nmps664wgkp43l22qsgdw4ve24aca4nymnxddlnp8vh9v2sdxlu5ywdxefsfvm0fq3sesf08uf6q9a2k"
     "e0hc9j6z6wlxg5z5kqpu2v9wz",
     DEST_NET_MAINNET, 1, 967878534LL, 1572468703LL, 1573073503LL,
     "462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f"},
    {/* v11_features */
     "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven"
     "9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqq"
     "qqqqqqqqsgq2a25dxl5hrntdtn6zvydt7d66hyzsyhqs4wdynavys42xgl6sgx9c4g7me86a27t07mdt"
     "fry458rtjr0v92cnmswpsjscgt2vcse3sgpz3uapa",
     DEST_NET_MAINNET, 1, 2500000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v12_upper */
     "LNBC25M1PVJLUEZPP5QQQSYQCYQ5RQWZQFQQQSYQCYQ5RQWZQFQQQSYQCYQ5RQWZQFQYPQDQ5VDHKVEN"
     "9V5SXYETPDEESSP5ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYG3ZYGS9Q5SQQQQQQQQ"
     "QQQQQQQQSGQ2A25DXL5HRNTDTN6ZVYDT7D66HYZSYHQS4WDYNAVYS42XGL6SGX9C4G7ME86A27T07MDT"
     "FRY458RTJR0V92CNMSWPSJSCGT2VCSE3SGPZ3UAPA",
     DEST_NET_MAINNET, 1, 2500000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v13_ignored */
     "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven"
     "9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqq"
     "qqqqqqqqsgq2qrqqqfppnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqppnqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqqqqqqqqqqpp4qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqhpnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhp4qqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqspnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqsp4qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnp5qqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnpkqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqz599y53s3ujmcfjp5xrdap68qxymkqphwsexhmhr8wdz5usdzkzrse33chw6dlp3j"
     "huhge9ley7j2ayx36kawe7kmgg8sv5ugdyusdcqzn8z9x",
     DEST_NET_MAINNET, 1, 2500000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* v14_metadata */
     "lnbc10m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdp9wpshjmt"
     "9de6zqmt9w3skgct5vysxjmnnd9jx2mq8q8a04uqsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
     "yg3zyg3zyg3zygs9q2gqqqqqqsgq7hf8he7ecf7n4ffphs6awl9t6676rrclv9ckg3d3ncn7fct63p6s"
     "365duk5wrk202cfy3aj5xnnp5gs3vrdvruverwwq7yzhkf5a3xqpd05wjc",
     DEST_NET_MAINNET, 1, 1000000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* l1_donation */
     "lnbc1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5"
     "sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq8rkx3yf5tcsyz3d73gafnh3cax9"
     "rn449d9p5uxz9ezhhypd0elx87sjle52x86fux2ypatgddc6k63n7erqz25le42c4u4ecky03ylcqca7"
     "84w",
     DEST_NET_MAINNET, 0, 0LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* l2_coffee */
     "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxx"
     "atsyp3k7enxv4jsxqzpuaztrnwngzn3kdzw5hydlzf03qdgm2hdq27cqv3agm2awhz5se903vruatfhq"
     "77w3ls4evs3ch9zw97j25emudupq63nyw24cg27h2rspfj9srp",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* l10_pico */
     "lnbc9678785340p1pwmna7lpp5gc3xfm08u9qy06djf8dfflhugl6p7lgza6dsjxq454gxhj9t7a0sd8"
     "dgfkx7cmtwd68yetpd5s9xar0wfjn5gpc8qhrsdfq24f5ggrxdaezqsnvda3kkum5wfjkzmfqf3jkgem"
     "9wgsyuctwdus9xgrcyqcjcgpzgfskx6eqf9hzqnteypzxz7fzypfhg6trddjhygrcyqezcgpzfysywmm"
     "5ypxxjemgw3hxjmn8yptk7untd9hxwg3q2d6xjcmtv4ezq7pqxgsxzmnyyqcjqmt0wfjjq6t5v4khxxq"
     "yjw5qcqp2rzjq0gxwkzc8w6323m55m4jyxcjwmy7stt9hwkwe2qxmy8zpsgg7jcuwz87fcqqeuqqqyqq"
     "qqlgqqqqn3qq9qn07ytgrxxzad9hc4xt3mawjjt8znfv8xzscs7007v9gh9j569lencxa8xeujzkxs0u"
     "amak9aln6ez02uunw6rd2ht2sqe4hz8thcdagpleym0j",
     DEST_NET_MAINNET, 1, 967878534LL, 1572468703LL, 1573073503LL,
     "462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f"},
    {/* ours: hrp_lntbs2500u */
     "lntbs2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqs"
     "yqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrs"
     "gquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0e"
     "h0ymjpf39tuven09sam30g4vgpqh20hy",
     DEST_NET_SIGNET, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbcrt2500u */
     "lnbcrt2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqq"
     "syqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qr"
     "sgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0"
     "eh0ymjpf39tuven09sam30g4vgp9rtqe3",
     DEST_NET_REGTEST, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lntb2500u */
     "lntb2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsg"
     "quk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh"
     "0ymjpf39tuven09sam30g4vgp702pq0",
     DEST_NET_TESTNET, 1, 250000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lntbs */
     "lntbs1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq"
     "5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0"
     "rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymj"
     "pf39tuven09sam30g4vgp6820w9",
     DEST_NET_SIGNET, 0, 0LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbcrt */
     "lnbcrt1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcy"
     "q5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk"
     "0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ym"
     "jpf39tuven09sam30g4vgpt3smvq",
     DEST_NET_REGTEST, 0, 0LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc */
     "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5"
     "rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0r"
     "l77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjp"
     "f39tuven09sam30g4vgprj6706",
     DEST_NET_MAINNET, 0, 0LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc1 */
     "lnbc11pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq"
     "5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0"
     "rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymj"
     "pf39tuven09sam30g4vgpv44npe",
     DEST_NET_MAINNET, 1, 100000000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc21000000 */
     "lnbc210000001pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qq"
     "qsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9q"
     "rsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext"
     "0eh0ymjpf39tuven09sam30g4vgpwylx8l",
     DEST_NET_MAINNET, 1, 2100000000000000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc21000000000000000000p */
     "lnbc21000000000000000000p1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
     "zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7e"
     "nxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353"
     "s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfa5tn2",
     DEST_NET_MAINNET, 1, 2100000000000000000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc10p */
     "lnbc10p1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqc"
     "yq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgqu"
     "k0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0y"
     "mjpf39tuven09sam30g4vgpa42l9y",
     DEST_NET_MAINNET, 1, 1LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc1n */
     "lnbc1n1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcy"
     "q5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk"
     "0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ym"
     "jpf39tuven09sam30g4vgpz029qp",
     DEST_NET_MAINNET, 1, 100LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: hrp_lnbc1u */
     "lnbc1u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcy"
     "q5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk"
     "0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ym"
     "jpf39tuven09sam30g4vgpugem8g",
     DEST_NET_MAINNET, 1, 100000LL, 1496314658LL, 1496314718LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: p_short_then_p */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygsppnqqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqyppp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzq"
     "fqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsuk0rl77nj30yxdy8j9vdx85fkpmdla2087ne"
     "0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpc7wcwe",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: x_big */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqxqfpqqqqqqqquk0rl77nj30yxdy8j9vdx"
     "85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4"
     "vgpna3q67",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1101007942434LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: x_zero_len */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqxqquk0rl77nj30yxdy8j9vdx85fkpmdla"
     "2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgptj308r",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496314658LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: feat_known */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypq9q4zsqqqqqqqqqgqqqqszsgquk0rl77nj"
     "30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tu"
     "ven09sam30g4vgpfnyxts",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: n_valid */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqnp4q0n326hr8v9zprg8gsvezcch06gfaq"
     "qhde2aj730yg0durunfhv66uk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp5"
     "3ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpcyg958",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: sig_ok */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypquk0rl77nj30yxdy8j9vdx85fkpmdla208"
     "7ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpewcw0j",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: sig_rec2_r2 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqpxe0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgzfrd8nh",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
    {/* ours: sig_rec1_r1 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgp6cu2u0",
     DEST_NET_MAINNET, 1, 250000000LL, 1496314658LL, 1496318258LL,
     "0001020304050607080900010203040506070809000102030405060708090102"},
};

static const struct {
        const char *s;
        const char *err;
} bolt11_invalid[] = {
    {/* x1_feature100 */
     "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven"
     "9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q4psqqqqqqq"
     "qqqqqqqqqsgqtqyx5vggfcsll4wu246hz02kp85x4katwsk9639we5n5yngc3yhqkm35jnjw4len8vrn"
     "qnf5ejh0mzj9n3vz2px97evektfm2l6wqccp3y7372",
     "invoice requires unknown feature bit 100"},
    {/* x2_checksum */
     "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4"
     "curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p"
     "76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrnt",
     "bech32 checksum mismatch"},
    {/* x4_mixed */
     "LNBC2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4"
     "curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p"
     "76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny",
     "bech32 string mixes upper and lower case"},
    {/* x5_unrecoverable */
     "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxx"
     "atsyp3k7enxv4jsxqzpusp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsg"
     "qwgt7mcn5yqw3yx0w94pswkpq6j9uh6xfqqqtsk4tnarugeektd4hg5975x9am52rz4qskukxdmjemg9"
     "2vvqz8nvmsye63r5ykel43pgz7zq0g2",
     "invoice signature is not recoverable"},
    {/* x6_short */
     "lnbc1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5"
     "sxxmmwwd5kgetjypeh2ursdae8g6na6hlh",
     "invoice too short"},
    {/* x7_multiplier */
     "lnbc2500x1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxx"
     "atsyp3k7enxv4jsxqzpusp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsg"
     "qrrzc4cvfue4zp3hggxp47ag7xnrlr8vgcmkjxk3j5jqethnumgkpqp23z9jclu3v0a7e0aruz366e9w"
     "qdykw6dxhdzcjjhldxq0w6wgqcnu43j",
     "invalid invoice amount multiplier 'x'"},
    {/* x8_submsat */
     "lnbc2500000001p1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq"
     "5xysxxatsyp3k7enxv4jsxqzpusp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg"
     "s9qrsgq0lzc236j96a95uv0m3umg28gclm5lqxtqqwk32uuk4k6673k6n5kfvx3d2h8s295fad45fdhm"
     "usm8sjudfhlf6dcsxmfvkeywmjdkxcp99202x",
     "invoice amount is not a whole number of millisatoshis"},
    {/* lx1_feature100 */
     "lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven"
     "9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q4psqqqqqqq"
     "qqqqqqqqpqsqq40wa3khl49yue3zsgm26jrepqr2eghqlx86rttutve3ugd05em86nsefzh4pfurpd9e"
     "k9w2vp95zxqnfe2u7ckudyahsa52q66tgzcp6t2dyk",
     "invoice requires unknown feature bit 100"},
    {/* lx5_unrecoverable */
     "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxx"
     "atsyp3k7enxv4jsxqzpuaxtrnwngzn3kdzw5hydlzf03qdgm2hdq27cqv3agm2awhz5se903vruatfhq"
     "77w3ls4evs3ch9zw97j25emudupq63nyw24cg27h2rspk28uwq",
     "invoice signature is not recoverable"},
    {/* ours: hrp_lnbc21000001 */
     "lnbc210000011pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qq"
     "qsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9q"
     "rsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext"
     "0eh0ymjpf39tuven09sam30g4vgpjvc608",
     "invoice amount exceeds 21000000 BTC"},
    {/* ours: hrp_lnbc21000000000000000010p */
     "lnbc21000000000000000010p1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
     "zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7e"
     "nxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353"
     "s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpq3gakd",
     "invoice amount exceeds 21000000 BTC"},
    {/* ours: hrp_lnbc0 */
     "lnbc01pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq"
     "5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0"
     "rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymj"
     "pf39tuven09sam30g4vgpsaj0fp",
     "invoice amount must be positive without leading zeros"},
    {/* ours: hrp_lnbc01u */
     "lnbc01u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqc"
     "yq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgqu"
     "k0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0y"
     "mjpf39tuven09sam30g4vgp0qlya5",
     "invoice amount must be positive without leading zeros"},
    {/* ours: hrp_lnbcm */
     "lnbcm1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq"
     "5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0"
     "rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymj"
     "pf39tuven09sam30g4vgpa80jgz",
     "invoice amount has no digits"},
    {/* ours: hrp_lnbc99999999999999999999999u */
     "lnbc99999999999999999999999u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3z"
     "yg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3"
     "k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut"
     "353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgp6622ru",
     "invoice amount exceeds 21000000 BTC"},
    {/* ours: hrp_lnbc1.5m */
     "lnbc1.5m1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyq"
     "cyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgq"
     "uk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0"
     "ymjpf39tuven09sam30g4vgp0xe9fn",
     "invalid invoice amount"},
    {/* ours: hrp_lnbc18446744073709551616n */
     "lnbc18446744073709551616n1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3"
     "zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7e"
     "nxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353"
     "s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgp92p872",
     "invoice amount exceeds 21000000 BTC"},
    {/* ours: hrp_lnxy2500u */
     "lnxy2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsg"
     "quk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh"
     "0ymjpf39tuven09sam30g4vgp89qfu8",
     "unknown invoice currency prefix \"lnxy2500u\""},
    {/* ours: bech32m */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsg"
     "quk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh"
     "0ymjpf39tuven09sam30g4vgpu0dax4",
     "invoice must use bech32, not bech32m"},
    {/* ours: no_p */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygsdq5xysxx"
     "atsyp3k7enxv4jsuk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s0"
     "6fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfre7eg",
     "invoice has no payment hash"},
    {/* ours: two_p */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwz"
     "qfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsuk0rl77nj30yxdy8j9vdx85fkpmdla2087n"
     "e0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpmhafcr",
     "invoice has more than one payment hash"},
    {/* ours: p_short_only */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygsppnqqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypdq5xysxxatsyp3k7enxv4jsuk0rl77nj30"
     "yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuve"
     "n09sam30g4vgpl2uu8t",
     "invoice has no payment hash"},
    {/* ours: p_badpad */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqyppdq5xysxxatsyp3k7enxv4jsuk0rl77nj3"
     "0yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuv"
     "en09sam30g4vgpvhng0r",
     "invoice payment hash has non-zero padding"},
    {/* ours: x_overflow */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqxqd0lllllllllllluk0rl77nj30yxdy8j"
     "9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam"
     "30g4vgpj6kstx",
     "invoice expiry out of range"},
    {/* ours: two_x */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqxqzpuxqzzxuk0rl77nj30yxdy8j9vdx85"
     "fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vg"
     "pf8gnvz",
     "invoice has more than one expiry"},
    {/* ours: feat_mpp_no_secret */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypq9qyyqqquk0rl77nj30yxdy8j9vdx85fkp"
     "mdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpz3"
     "48a5",
     "invoice sets basic_mpp without payment_secret"},
    {/* ours: feat_20 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypq9q9pqsgquk0rl77nj30yxdy8j9vdx85fk"
     "pmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgp4"
     "84zw3",
     "invoice requires unknown feature bit 20"},
    {/* ours: n_invalid */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqnp4qgpsxqcrqvpsxqcrqvpsxqcrqvpsxq"
     "crqvpsxqcrqvpsxqcrqvpsxuk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp5"
     "3ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgp9gd5wc",
     "invoice payee node id is not a valid key"},
    {/* ours: trunc_field */
     "lnbc2500u1pvjluezprquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut"
     "353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpn0tktf",
     "invoice tagged field longer than the invoice"},
    {/* ours: field_hdr_trunc */
     "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqppuk0rl7"
     "7nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf3"
     "9tuven09sam30g4vgputw8rg",
     "invoice tagged field truncated"},
    {/* ours: sig_rec4 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypquk0rl77nj30yxdy8j9vdx85fkpmdla208"
     "7ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgytjwaa6",
     "invoice signature is not recoverable"},
    {/* ours: sig_r0 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqxe0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpxvxgfr",
     "invoice signature is not recoverable"},
    {/* ours: sig_s_n */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypquk0rl77nj30yxdy8j9vdx85fkpmdla208"
     "7ne0xh8nhedh8w27kylllllllllllllllllllllllllaw4wmnn27j9q8wlayh5v6qmyzsgppdyvd6",
     "invoice signature is not recoverable"},
    {/* ours: sig_rec2_r1 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqqke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgz5tfujs",
     "invoice signature is not recoverable"},
    {/* ours: sig_rec0_r5 */
     "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsy"
     "qcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
     "qqqqqqqqqqqqqqqqqzke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgq9layqt",
     "invoice signature is not recoverable"},
    {/* ours: short_data */
     "lnbc2500u1pvjluezuk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353"
     "s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgxyu3mn",
     "invoice too short"},
};

static void
test_bolt11_valid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(bolt11_valid); i++) {
                const struct bolt11_vector *v = &bolt11_valid[i];
                struct dest d;
                char err[256];
                memset(&d, 0xa5, sizeof(d));
                if (dest_parse(v->s, v->net, &d, err, sizeof(err)) != 0)
                        fail_msg("vector %zu: %s", i, err);
                assert_int_equal(d.type, DEST_BOLT11);
                assert_int_equal(d.has_amount, v->has_amount);
                assert_int_equal(d.amount_msat, v->amount_msat);
                assert_int_equal(d.created_at, v->created_at);
                assert_int_equal(d.expires_at, v->expires_at);
                assert_string_equal(d.payment_hash, v->payment_hash);
                expect_on(v->s, DEST_BOLT11, 1u << v->net);
        }
}

static void
test_bolt11_invalid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(bolt11_invalid); i++)
                expect_err(bolt11_invalid[i].s, bolt11_invalid[i].err);
        /* BOLT11 "no 1": not even recognised as an invoice by dest_parse, so
         * ask the decoder directly too. */
        static const char no1[] =
            "pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe"
            "78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakk"
            "y2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny";
        struct bolt11 b;
        char err[128];
        assert_int_equal(bolt11_decode(no1, strlen(no1), &b, err, sizeof(err)), -1);
        assert_string_equal(err, "bech32 separator '1' missing");
        expect_err(no1, "too long for a base58 address");
}

static void
test_bolt11_network_messages(void **state)
{
        (void)state;
        /* Longest prefix first: lntbs is signet, lnbcrt regtest. */
        expect_err_on(bolt11_valid[4].s, DEST_NET_MAINNET,
                      "invoice is for testnet, store network is mainnet");
        expect_err_on(bolt11_valid[4].s, DEST_NET_SIGNET,
                      "invoice is for testnet, store network is signet");
        expect_err_on(bolt11_valid[0].s, DEST_NET_REGTEST,
                      "invoice is for mainnet, store network is regtest");
        for (size_t i = 0; i < N(bolt11_valid); i++) {
                if (strncmp(bolt11_valid[i].s, "lntbs2500u1", 11) == 0)
                        expect_err_on(bolt11_valid[i].s, DEST_NET_TESTNET,
                                      "invoice is for signet, store network is testnet");
                if (strncmp(bolt11_valid[i].s, "lnbcrt2500u1", 12) == 0)
                        expect_err_on(bolt11_valid[i].s, DEST_NET_MAINNET,
                                      "invoice is for regtest, store network is mainnet");
        }
}

static void
test_curve_checks(void **state)
{
        (void)state;
        uint8_t k[33];
        /* The generator G, both parities */
        static const uint8_t gx[32] = {0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac,
                                       0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
                                       0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9,
                                       0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};
        memcpy(k + 1, gx, 32);
        k[0] = 0x02;
        assert_true(bolt11_point_valid(k));
        k[0] = 0x03;
        assert_true(bolt11_point_valid(k));
        k[0] = 0x04;
        assert_false(bolt11_point_valid(k));
        k[0] = 0x00;
        assert_false(bolt11_point_valid(k));
        /* x = 1: 1 + 7 = 8 is a square mod p; x = 5: 132 is not */
        memset(k, 0, sizeof(k));
        k[0] = 0x02;
        k[32] = 1;
        assert_true(bolt11_point_valid(k));
        k[32] = 5;
        assert_false(bolt11_point_valid(k));
        /* x = 0x0303...03 (BOLT12 "invalid offer_issuer_id") is off the curve */
        memset(k + 1, 0x03, 32);
        assert_false(bolt11_point_valid(k));
        /* x = p and x = 2^256 - 1 are not field elements */
        memset(k + 1, 0xff, 32);
        assert_false(bolt11_point_valid(k));
        k[28] = 0xfe; /* p = 2^256 - 2^32 - 977 */
        k[31] = 0xfc;
        k[32] = 0x2f;
        assert_false(bolt11_point_valid(k));
        /* Just below p: p - 3 is a point, p - 1 and p - 2 are not. */
        k[32] = 0x2c;
        assert_true(bolt11_point_valid(k));
        k[32] = 0x2d;
        assert_false(bolt11_point_valid(k));
        k[32] = 0x2e;
        assert_false(bolt11_point_valid(k));
}

/* --- BOLT12 offers -------------------------------------------------------- */

static const struct {
        const char *desc;
        const char *s;
        unsigned nets;
} bolt12_valid[] = {
    {"Minimal bolt12 offer", "lno1zcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pksese", M},
    {"with description",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxg",
     M},
    {"for testnet",
     "lno1qgsyxjtl6luzd9t3pr62xr7eemp6awnejusgf6gw45q75vcfqqqqqqq2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     T},
    {"for bitcoin (redundant)",
     "lno1qgsxlc5vp2m0rvmjcxn2y34wv0m5lyc7sdj7zksgn35dvxgqqqqqqqq2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     M},
    {"for bitcoin or liquidv1",
     "lno1qfqpge38tqmzyrdjj3x2qkdr5y80dlfw56ztq6yd9sme995g3gsxqqm0u2xq4dh3kdevrf4zg6hx"
     "8a60jv0gxe0ptgyfc6xkryqqqqqqqq9qc4r9wd6zqan9vd6x7unnzcss9mk8y3wkklfvevcrszlmu23k"
     "frxh49px20665dqwmn4p72pksese",
     M},
    {"with metadata",
     "lno1qsgqqqqqqqqqqqqqqqqqqqqqqqqqqzsv23jhxapqwejkxar0wfe3vggzamrjghtt05kvkvpcp0a7"
     "9gmy3nt6jsn98ad2xs8de6sl9qmgvcvs",
     M},
    {"with amount",
     "lno1pqpzwyq2p32x2um5ypmx2cm5dae8x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82"
     "ru5rdpnpj",
     M},
    {"with currency",
     "lno1qcp4256ypqpzwyq2p32x2um5ypmx2cm5dae8x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l4"
     "4g6qah82ru5rdpnpj",
     M},
    {"with expiry",
     "lno1pgx9getnwss8vetrw3hhyucwq3ay997czcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqw"
     "mn4p72pksese",
     M},
    {"with issuer",
     "lno1pgx9getnwss8vetrw3hhyucjy358garswvaz7tmzdak8gvfj9ehhyeeqgf85c4p3xgsxjmnyw4eh"
     "gunfv4e3vggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2xs8de6sl9qmgvcvs",
     M},
    {"with quantity",
     "lno1pgx9getnwss8vetrw3hhyuc5qyz3vggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2xs8de6sl"
     "9qmgvcvs",
     M},
    {"with unlimited quantity",
     "lno1pgx9getnwss8vetrw3hhyuc5qqtzzqhwcuj966ma9n9nqwqtl032xeyv6755yeflt235pmww58eg"
     "x6rxry",
     M},
    {"with single quantity",
     "lno1pgx9getnwss8vetrw3hhyuc5qyq3vggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2xs8de6sl"
     "9qmgvcvs",
     M},
    {"with feature",
     "lno1pgx9getnwss8vetrw3hhyucvp5yqqqqqqqqqqqqqqqqqqqqkyypwa3eyt44h6txtxquqh7lz5djg"
     "e4afgfjn7k4rgrkuag0jsd5xvxg",
     M},
    {"with blinded path",
     "lno1pgx9getnwss8vetrw3hhyucs5ypjgef743p5fzqq9nqxh0ah7y87rzv3ud0eleps9kl2d5348hq2"
     "k8qzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgqpqqqqqqqqqqqqqqqqqqqqqqqqqqqzqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqqzq3zyg3zyg3zyg3vggzamrjghtt05kvkvpcp0a79gmy3nt6"
     "jsn98ad2xs8de6sl9qmgvcvs",
     M},
    {"sciddir",
     "lno1pgx9getnwss8vetrw3hhyucs3yqqqqqqqqqqqqp2qgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqqyqqqqqq"
     "qqqqqqqqqqqqqqqqqqqqqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqqgzyg3"
     "zyg3zyg3z93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     M},
    {"no issuer_id, blinded path",
     "lno1pgx9getnwss8vetrw3hhyucs5ypjgef743p5fzqq9nqxh0ah7y87rzv3ud0eleps9kl2d5348hq2"
     "k8qzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgqpqqqqqqqqqqqqqqqqqqqqqqqqqqqzqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqqzq3zyg3zyg3zygs",
     M},
    {"second blinded path",
     "lno1pgx9getnwss8vetrw3hhyucsl5qj5qeyv5l2cs6y3qqzesrth7mlzrlp3xg7xhulusczm04x6g6n"
     "ms9trspqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqqsqqqqqqqqqqqqqqqqqqqqqqqqqqpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsqpqg3zyg3zyg3zygpqqqqzqqqqgqqxqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqqgqqqqqqqqqqqqqqqqqqqqqqqqqqqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgqqsg3zyg3zyg3zygtzzqhwcuj966ma9n9nqwqtl032xeyv6755yeflt235pmww58eg"
     "x6rxry",
     M},
    {"unknown odd field",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxfppf5x2mrvdamk7unvvs",
     M},
    {"unknown odd experimental field",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vx078wdv5gg2dpjkcmr0wahhymry",
     M},
    {"ours: chain_mainnet",
     "lno1qgsxlc5vp2m0rvmjcxn2y34wv0m5lyc7sdj7zksgn35dvxgqqqqqqqq2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     M},
    {"ours: chain_testnet4",
     "lno1qgsy8uytm2c9pc6m2e7gvju373l4ptnjtt3du5aulwa09px6qqqqqqq2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     T},
    {"ours: chain_signet",
     "lno1qgs0v8hw8d368q9yw7sx8tejk2aujlyll8cp7tzzyh5h8xyppqqqqqq2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     S},
    {"ours: chain_regtest",
     "lno1qgsqvgnwgcg35z6ee2h3yczraddm72xrfua9uve2rlrm9deu7xyfzrc2p32x2um5ypmx2cm5dae8"
     "x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82ru5rdpnpj",
     R},
    {"ours: chain_signet_regtest",
     "lno1qfq0v8hw8d368q9yw7sx8tejk2aujlyll8cp7tzzyh5h8xyppqqqqqqxyfhyvyg6pdvu4tcjvpp7"
     "kkal9rp57wj7xv4pl3ajku70rzy3pu9qc4r9wd6zqan9vd6x7unnzcss9mk8y3wkklfvevcrszlmu23k"
     "frxh49px20665dqwmn4p72pksese",
     S | R},
    {"ours: amount_max",
     "lno1pqyp6f9jm7k9yqqqpgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn"
     "7k4rgrkuag0jsd5xvxg",
     M},
    {"ours: amount_big_currency",
     "lno1qcp4256ypqy0llllllllllllpgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djg"
     "e4afgfjn7k4rgrkuag0jsd5xvxg",
     M},
    {"ours: feature_odd",
     "lno1pgx9getnwss8vetrw3hhyucvqyppvggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2xs8de6sl"
     "9qmgvcvs",
     M},
    {"ours: exp_odd_max",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vx07wu6e8lczdp5s",
     M},
    {"ours: desc_utf8_ok",
     "lno1pg2w8qu2uwpm8cuzh03c8vlrs2ujqv0xnkh3vggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2"
     "xs8de6sl9qmgvcvs",
     M},
    {"ours: path_ok_noid",
     "lno1pgx9getnwss8vetrw3hhyucsdqpwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxgzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqzqhwcuj966ma9n9nqwqtl032"
     "xeyv6755yeflt235pmww58egx6rxryqq924m",
     M},
};

static const struct {
        const char *desc;
        const char *s;
        const char *err;
} bolt12_invalid[] = {
    {"fields out of order",
     "lno1zcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszpgz5znzfgdzs",
     "offer fields are not in increasing order"},
    {"unknown even TLV type 78",
     "lno1pgz5znzfgdz3vggzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpysgr0u2xq"
     "4dh3kdevrf4zg6hx8a60jv0gxe0ptgyfc6xkryqqqqqqqq",
     "offer has unknown required field 72"},
    {"empty", "lno1", "offer is empty"},
    {"truncated at type", "lno1pg", "offer TLV stream is truncated or malformed"},
    {"truncated in length", "lno1pt7s", "offer TLV stream is truncated or malformed"},
    {"truncated after length", "lno1pgpq", "offer TLV stream is truncated or malformed"},
    {"truncated in description", "lno1pgpyz", "offer TLV stream is truncated or malformed"},
    {"invalid offer_chains length",
     "lno1qgqszzs9g9xyjs69zcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_chains length is not a multiple of 32"},
    {"truncated currency UTF-8",
     "lno1qcqcqzs9g9xyjs69zcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_currency is not valid UTF-8"},
    {"invalid currency UTF-8",
     "lno1qcplllhapqpq86q2q4qkc6trv5tzzq6muh550qsfva9fdes0ruph7ctk2s8aqq06r4jxj3msc448"
     "wzwy9s",
     "offer_currency is not valid UTF-8"},
    {"truncated description UTF-8",
     "lno1pgqcq93pqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqy",
     "offer_description is not valid UTF-8"},
    {"invalid description UTF-8",
     "lno1pgpgqsgkyypqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs",
     "offer_description is not valid UTF-8"},
    {"truncated offer_paths",
     "lno1pgz5znzfgdz3qqgpzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_paths is truncated"},
    {"zero num_hops",
     "lno1pgz5znzfgdz3qqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsqzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqsz",
     "offer_paths is truncated"},
    {"truncated onionmsg_hop",
     "lno1pgz5znzfgdz3qqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqspqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqgkyypqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs",
     "offer_paths is truncated"},
    {"bad first_node_id",
     "lno1pgz5znzfgdz3qqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqspqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqgqzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_paths is truncated"},
    {"bad path_key",
     "lno1pgz5znzfgdz3qqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpsxqcrqvps"
     "xqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcpqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqgqzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_paths is truncated"},
    {"bad blinded_node_id",
     "lno1pgz5znzfgdz3qqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqspqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvps"
     "xqcrqvpsxqcrqvpsxqgqzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_paths is truncated"},
    {"truncated issuer UTF-8",
     "lno1pgz5znzfgdz3yqvqzcssyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsz",
     "offer_issuer is not valid UTF-8"},
    {"invalid issuer UTF-8",
     "lno1pgz5znzfgdz3yq5qgytzzqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqg",
     "offer_issuer is not valid UTF-8"},
    {"invalid offer_issuer_id",
     "lno1pgz5znzfgdz3vggzqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvpsxqcrqvps",
     "offer_issuer_id is not a valid public key"},
    {"type >= 80",
     "lno1pgz5znzfgdz3vggzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgp9qgr0u2xq"
     "4dh3kdevrf4zg6hx8a60jv0gxe0ptgyfc6xkryqqqqqqqq",
     "offer has field 80 outside the offer ranges"},
    {"type > 1999999999",
     "lno1pgz5znzfgdz3vggzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgp06ae4jsq9"
     "qgr0u2xq4dh3kdevrf4zg6hx8a60jv0gxe0ptgyfc6xkryqqqqqqqq",
     "offer TLV stream is truncated or malformed"},
    {"unknown even type 1000000002",
     "lno1pgz5znzfgdz3vggzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgp06wu6egp9"
     "qgr0u2xq4dh3kdevrf4zg6hx8a60jv0gxe0ptgyfc6xkryqqqqqqqq",
     "offer TLV stream is truncated or malformed"},
    {"unknown feature 122",
     "lno1pgx9getnwss8vetrw3hhyucvzqzqqqqqqqqqqqqqqqqqqqqqqqqpvggzamrjghtt05kvkvpcp0a7"
     "9gmy3nt6jsn98ad2xs8de6sl9qmgvcvs",
     "offer requires unknown feature bit 122"},
    {"missing description with amount",
     "lno1pqpzwyqkyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
     "offer has an amount but no description"},
    {"missing amount with currency",
     "lno1qcp4256ypgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrku"
     "ag0jsd5xvxg",
     "offer has a currency but no amount"},
    {"missing issuer_id and path", "lno1pgx9getnwss8vetrw3hhyuc",
     "offer has neither an issuer id nor paths"},
    {"second offer_path empty",
     "lno1pgx9getnwss8vetrw3hhyucsespjgef743p5fzqq9nqxh0ah7y87rzv3ud0eleps9kl2d5348hq2"
     "k8qzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgqpqqqqqqqqqqqqqqqqqqqqqqqqqqqzqgpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqqzq3zyg3zyg3zygszqqqqyqqqqsqqvpqyqszqgpqyqszqgpq"
     "yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsq",
     "offer path has no hops"},
    {"ours: amount_nonminimal",
     "lno1pqpqqyq2p32x2um5ypmx2cm5dae8x93pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82"
     "ru5rdpnpj",
     "offer_amount is not a minimal integer"},
    {"ours: amount_too_big",
     "lno1pqyp6f9jm7k9yqqppgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn"
     "7k4rgrkuag0jsd5xvxg",
     "offer_amount exceeds 21000000 BTC"},
    {"ours: type_nonminimal",
     "lno1pgx9getnwss8vetrw3hhyulaqqtzzqhwcuj966ma9n9nqwqtl032xeyv6755yeflt235pmww58eg"
     "x6rxry",
     "offer TLV stream is truncated or malformed"},
    {"ours: issuer_id_short",
     "lno1pgx9getnwss8vetrw3hhyuckyqpwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "v",
     "offer_issuer_id is not a valid public key"},
    {"ours: issuer_id_04",
     "lno1pgx9getnwss8vetrw3hhyuckyyzwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxg",
     "offer_issuer_id is not a valid public key"},
    {"ours: feature_even0",
     "lno1pgx9getnwss8vetrw3hhyucvqyq3vggzamrjghtt05kvkvpcp0a79gmy3nt6jsn98ad2xs8de6sl"
     "9qmgvcvs",
     "offer requires unknown feature bit 0"},
    {"ours: exp_even",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vx078wdv5qszdp5s",
     "offer has unknown required field 1000000002"},
    {"ours: type_2e9",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vx07wu6egqgzdp5s",
     "offer has field 2000000001 outside the offer ranges"},
    {"ours: type_0",
     "lno1qqqq5rz5v4ehggrkv43hgmmjwvtzzqhwcuj966ma9n9nqwqtl032xeyv6755yeflt235pmww58eg"
     "x6rxry",
     "offer has field 0 outside the offer ranges"},
    {"ours: dup_type",
     "lno1pgx9getnwss8vetrw3hhyuc2p32x2um5ypmx2cm5dae8x93pqthvwfzadd7jejes8q9lhc4rvjxd"
     "022zv5l44g6qah82ru5rdpnpj",
     "offer fields are not in increasing order"},
    {"ours: desc_overlong", "lno1pgpvptckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
     "offer_description is not valid UTF-8"},
    {"ours: desc_surrogate", "lno1pgp7mgyqzcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pksese",
     "offer_description is not valid UTF-8"},
    {"ours: quantity_nonminimal",
     "lno1pgx9getnwss8vetrw3hhyuc5qgqq293pqthvwfzadd7jejes8q9lhc4rvjxd022zv5l44g6qah82"
     "ru5rdpnpj",
     "offer_quantity_max is not a minimal integer"},
    {"ours: path_enc_trunc",
     "lno1pgx9getnwss8vetrw3hhyucsvupwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxgzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqzqhwcuj966ma9n9nqwqtl032"
     "xeyv6755yeflt235pmww58egx6rxryqq92s",
     "offer_paths is truncated"},
    {"ours: path_trailing",
     "lno1pgx9getnwss8vetrw3hhyucsdypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxgzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqzqhwcuj966ma9n9nqwqtl032"
     "xeyv6755yeflt235pmww58egx6rxryqq924mqq",
     "offer_paths is truncated"},
    {"ours: path_first_04",
     "lno1pgx9getnwss8vetrw3hhyucsdqzwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxgzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqzqhwcuj966ma9n9nqwqtl032"
     "xeyv6755yeflt235pmww58egx6rxryqq924m",
     "offer path has an invalid first node id"},
    {"ours: path_zero_hops",
     "lno1pgx9getnwss8vetrw3hhyucsgvpwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxgzqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqq",
     "offer path has no hops"},
    {"ours: extra_char", "lno1zcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pkseseq",
     "offer has invalid padding"},
    {"ours: pad_nonzero",
     "lno1pgx9getnwss8vetrw3hhyuckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5x"
     "vxf",
     "offer has invalid padding"},
};

static void
test_bolt12_valid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(bolt12_valid); i++) {
                struct dest d;
                char err[256];
                expect_on(bolt12_valid[i].s, DEST_BOLT12_OFFER, bolt12_valid[i].nets);
                /* Reported as an offer with no bolt11 fields. */
                enum dest_network net = DEST_NET_MAINNET;
                while (!(bolt12_valid[i].nets & (1u << net)))
                        net++;
                assert_int_equal(dest_parse(bolt12_valid[i].s, net, &d, err, sizeof(err)), 0);
                assert_int_equal(d.has_amount, 0);
                assert_int_equal(d.expires_at, 0);
                assert_string_equal(d.payment_hash, "");
        }
}

static void
test_bolt12_invalid(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(bolt12_invalid); i++) {
                for (size_t k = 0; k < N(all_nets); k++) {
                        struct dest d;
                        char err[256] = "";
                        int r = dest_parse(bolt12_invalid[i].s, all_nets[k], &d, err, sizeof(err));
                        if (r != -1 || strcmp(err, bolt12_invalid[i].err) != 0)
                                fail_msg("%s on %s: r=%d err=\"%s\"", bolt12_invalid[i].desc,
                                         dest_network_name(all_nets[k]), r, err);
                }
        }
}

static void
test_bolt12_decoded_bytes(void **state)
{
        (void)state;
        /* "Minimal bolt12 offer": one record, offer_issuer_id (22) of 33 bytes. */
        const char *s = "lno1zcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pksese";
        uint8_t d5[64], bytes[40];
        size_t n5 = 0, n;
        for (const char *p = s + 4; *p; p++) {
                int v = bech32_char_value(*p);
                assert_true(v >= 0);
                d5[n5++] = (uint8_t)v;
        }
        assert_int_equal(bech32_5to8(d5, n5, bytes, sizeof(bytes), &n), 0);
        char h[81];
        to_hex(h, bytes, n);
        assert_string_equal(
            h, "162102eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619");
}

static void
test_bolt12_network_messages(void **state)
{
        (void)state;
        const char *minimal = "lno1zcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pksese";
        expect_err_on(minimal, DEST_NET_TESTNET, "offer is for mainnet, store network is testnet");
        expect_err_on(minimal, DEST_NET_REGTEST, "offer is for mainnet, store network is regtest");
        expect_err_on(bolt12_valid[2].s, DEST_NET_MAINNET,
                      "offer is for testnet, store network is mainnet");
        /* liquidv1 and bitcoin */
        expect_err_on(bolt12_valid[4].s, DEST_NET_SIGNET,
                      "offer is for another chain, mainnet, store network is signet");
        expect_err_on("lno1qgqq5rz5v4ehggrkv43hgmmjwvtzzqhwcuj966ma9n9nqwqtl032xeyv6755yeflt235pmw"
                      "w58egx6rxry",
                      DEST_NET_MAINNET, "offer is for no chain, store network is mainnet");
}

static void
test_bolt12_format_strings(void **state)
{
        (void)state;
        /* bolt12/format-string-test.json */
        static const char *const valid[] = {
            "lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5k"
            "2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
            "LNO1PQPS7SJQPGTYZM3QV4UXZMTSD3JJQER9WD3HY6TSW35K7MSJZFPY7NZ5YQCNYGRFDEJ82UM5WF5K"
            "2UCKYYPWA3EYT44H6TXTXQUQH7LZ5DJGE4AFGFJN7K4RGRKUAG0JSD5XVXG",
            "l+no1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5"
            "k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
            "lno1pqps7sjqpgt+yzm3qv4uxzmtsd3jjqer9wd3hy6tsw3+5k7msjzfpy7nz5yqcn+ygrfdej82um5wf"
            "5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd+5xvxg",
            "lno1pqps7sjqpgt+ yzm3qv4uxzmtsd3jjqer9wd3hy6tsw3+  5k7msjzfpy7nz5yqcn+\nygrfdej82u"
            "m5wf5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd+\r\n 5xvxg",
            "LNO1PQPS7SJQPGT+ YZM3QV4UXZMTSD3JJQER9WD3HY6TSW3+  5K7MSJZFPY7NZ5YQCN+\nYGRFDEJ82U"
            "M5WF5K2UCKYYPWA3EYT44H6TXTXQUQH7LZ5DJGE4AFGFJN7K4RGRKUAG0JSD+\r\n 5XVXG",
            /* with the URI prefix, any case */
            "LiGhTnInG:lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfde"
            "j82um5wf5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
        };
        for (size_t i = 0; i < N(valid); i++)
                expect_on(valid[i], DEST_BOLT12_OFFER, M);
        static const struct {
                const char *s;
                const char *err;
        } invalid[] = {
            {"lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5"
             "k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg+",
             "'+' must join two parts of an offer"},
            {"lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5"
             "k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg+ ",
             "destination has leading or trailing whitespace"},
            {"+lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf"
             "5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
             "'+' must join two parts of an offer"},
            {"+ lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5w"
             "f5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
             "'+' must join two parts of an offer"},
            {"ln++o1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5w"
             "f5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
             "'+' must join two parts of an offer"},
            /* ours */
            {"lno1pqps7sjqpgtyzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5"
             "k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xVXG",
             "offer mixes upper and lower case"},
            {"lno1pqps7sjqpgt yzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf"
             "5k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
             "whitespace in an offer must follow '+'"},
            {"lno1pqps7sjqpgtbzm3qv4uxzmtsd3jjqer9wd3hy6tsw35k7msjzfpy7nz5yqcnygrfdej82um5wf5"
             "k2uckyypwa3eyt44h6txtxquqh7lz5djge4afgfjn7k4rgrkuag0jsd5xvxg",
             "invalid character in offer"},
            {"lnbc1+pvjlue", "'+' is only allowed inside a BOLT12 offer"},
        };
        for (size_t i = 0; i < N(invalid); i++)
                expect_err(invalid[i].s, invalid[i].err);
}

/* --- Lightning addresses (LUD-16) ---------------------------------------- */

static void
test_lightning_address(void **state)
{
        (void)state;
        char buf[400];
        static const char *const valid[] = {
            "alice@example.com",
            "a@b.co",
            "satoshi+tips@pay.example.org",
            "x_y.z-1@sub.domain-x.example",
            "u@abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
        };
        for (size_t i = 0; i < N(valid); i++)
                expect_on(valid[i], DEST_LIGHTNING_ADDRESS, M | T | S | R);
        /* A 253-character domain is the longest allowed. */
        snprintf(buf, sizeof(buf), "alice@%s.%s.%s.%s.%s.com",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_int_equal(strlen(buf), 6 + 253);
        expect_on(buf, DEST_LIGHTNING_ADDRESS, M | T | S | R);
        buf[6 + 253] = 'm'; /* 254 */
        buf[6 + 254] = '\0';
        expect_err(buf, "lightning address domain must be 1 to 253 characters");

        static const struct {
                const char *s;
                const char *err;
        } invalid[] = {
            {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
             "lightning address user must be 1 to 64 characters"},
            {"Alice@example.com",
             "lightning address user may only contain a-z, 0-9, '-', '_', '.' and '+'"},
            {"alice@Example.com",
             "lightning address domain may only contain a-z, 0-9, '-' and '.'"},
            {"@example.com", "lightning address user must be 1 to 64 characters"},
            {"alice@", "lightning address domain must be 1 to 253 characters"},
            {"alice@example", "lightning address domain must contain a dot"},
            {"alice@@example.com", "lightning address has more than one '@'"},
            {"al ice@example.com",
             "lightning address user may only contain a-z, 0-9, '-', '_', '.' and '+'"},
            {"alice@exa_mple.com",
             "lightning address domain may only contain a-z, 0-9, '-' and '.'"},
            {"alice@-example.com",
             "lightning address domain labels must not start or end with '-'"},
            {"alice@example-.com",
             "lightning address domain labels must not start or end with '-'"},
            {"alice@example..com", "lightning address domain labels must be 1 to 63 characters"},
            {"alice@.example.com", "lightning address domain labels must be 1 to 63 characters"},
            {"alice@example.com.", "lightning address domain labels must be 1 to 63 characters"},
            {"alice@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
             "lightning address domain labels must be 1 to 63 characters"},
            {"alice@1.2.3.4", "lightning address domain must be a name, not an IP address"},
            {"alice@example.com:443",
             "lightning address domain may only contain a-z, 0-9, '-' and '.'"},
            {"alice@example.com/x",
             "lightning address domain may only contain a-z, 0-9, '-' and '.'"},
            {"lightning:alice@example.com", "a lightning address must not follow \"lightning:\""},
            {"alice!@example.com",
             "lightning address user may only contain a-z, 0-9, '-', '_', '.' and '+'"},
            {"alice@ex%61mple.com",
             "lightning address domain may only contain a-z, 0-9, '-' and '.'"},
            {"al\xc3\xa9@example.com",
             "lightning address user may only contain a-z, 0-9, '-', '_', '.' and '+'"},
        };
        for (size_t i = 0; i < N(invalid); i++)
                expect_err(invalid[i].s, invalid[i].err);
}

/* --- LNURL (LUD-01) ------------------------------------------------------- */

static const struct {
        const char *s;
        const char *url;
} lnurl_valid[] = {
    {/* lud01 */
     "lnurl1dp68gurn8ghj7um9wfmxjcm99e3k7mf0v9cxj0m385ekvcenxc6r2c35xvukxefcv5mkvv34x5"
     "ekzd3ev56nyd3hxqurzepexejxxepnxscrvwfnv9nxzcn9xq6xyefhvgcxxcmyxymnserxfq5fns",
     "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693afabe04be7b0ccd178df"},
    {/* lud01up */
     "LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35XVUKXEFCV5MKVV34X5"
     "EKZD3EV56NYD3HXQURZEPEXEJXXEPNXSCRVWFNV9NXZCN9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS",
     "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693afabe04be7b0ccd178df"},
    {/* onion_http */
     "lnurl1dp68gup69uhhvamc09aryctzvdjx2en8dp5k56mvd4hx7ur3wfehgatkwau8j73jxv6r2d3hv9"
     "3xxer9venks6t2ddkx6mn0wpcjummwd9hkutmvde6hymrs9auqzct857",
     "http://vwxyz2abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopq.onion/lnurlp/x"},
    {/* port_ok */
     "lnurl1dp68gurn8ghj7urp0yhx27rpd4cxcefwvdhk6w3cxs6rxtmvde6hymrs9aur77faxy3kv3vczx"
     "l",
     "https://pay.example.com:8443/lnurlp/x?y=1#f"},
    {/* upper_scheme */
     "lnurl1fp29g5zn8ghj732cg9x4qnz99ep57nf0tqyhfklu", "HTTPS://EXAMPLE.COM/X"},
    {/* upper */
     "LNURL1DP68GURN8GHJ7ETCV9KHQMR99E3K7MF00Q6V3JLK", "https://example.com/x"},
};

static const struct {
        const char *s;
        const char *err;
} lnurl_invalid[] = {
    {/* clearnet_http */
     "lnurl1dp68gup69uhk27rpd4cxcefwvdhk6tmvde6hymrs9auq3pf5hr",
     "LNURL must use https (http only for .onion hosts)"},
    {/* creds */
     "lnurl1dp68gurn8ghj7atnv4er5urhgpjhsctdwpkx2tnrdakj77qhnunwf",
     "LNURL must not contain credentials"},
    {/* ftp */
     "lnurl1ve68qw309ajhsctdwpkx2tnrdakj77q0zuyls", "LNURL must decode to an https:// URL"},
    {/* localhost */
     "lnurl1dp68gurn8ghj7mr0vdskc6r0wd6z77qnnqz4a", "LNURL host: domain must contain a dot"},
    {/* port_zero */
     "lnurl1dp68gurn8ghj7etcv9khqmr99e3k7mf6xqhhs94s0ze", "LNURL has an invalid port"},
    {/* port_big */
     "lnurl1dp68gurn8ghj7etcv9khqmr99e3k7mf6xc6n2vek9auq45pjhk", "LNURL has an invalid port"},
    {/* ip */
     "lnurl1dp68gurn8ghj7vfexghrzd3c9ccjuvf00q0uhs8q",
     "LNURL host: domain must be a name, not an IP address"},
    {/* space */
     "lnurl1dp68gurn8ghj7etcv9khqmr99e3k7mf0vysxyxpumah", "LNURL does not decode to a URL"},
    {/* no_host */
     "lnurl1dp68gurn8ghj7tmc99az4r", "LNURL has an invalid host"},
    {/* underscore_host */
     "lnurl1dp68gurn8ghj7etctask6urvv5hxxmmd9auqgd9f2f",
     "LNURL host: domain may only contain a-z, 0-9, '-' and '.'"},
    {/* bech32m */
     "lnurl1dp68gurn8ghj7etcv9khqmr99e3k7mf00q0sp765", "LNURL must use bech32, not bech32m"},
    {/* extra_group */
     "lnurl1dp68gurn8ghj7etcv9khqmr99e3k7mf00qq5plg0z", "LNURL has invalid padding"},
    {/* brief */
     "lnurl1dp68gurn8ghj7um9wfmxjcm99e3k7mf0v9cxj0m385ekvcenxc6r2c35xvukxefcv5mkvv34x5"
     "ekzd3ev56nyd3hxqurzepexejxxepnxscrvwfnv9nxzcn9xq6xyefhvgcxxcmyxymnserxfxwts",
     "bech32 checksum mismatch"},
    {/* mixed */
     "lnurl1DP68gurn8ghj7um9wfmxjcm99e3k7mf0v9cxj0m385ekvcenxc6r2c35xvukxefcv5mkvv34x5"
     "ekzd3ev56nyd3hxqurzepexejxxepnxscrvwfnv9nxzcn9xq6xyefhvgcxxcmyxymnserxfq5fns",
     "bech32 string mixes upper and lower case"},
};

static void
test_lnurl(void **state)
{
        (void)state;
        for (size_t i = 0; i < N(lnurl_valid); i++) {
                const char *s = lnurl_valid[i].s;
                expect_on(s, DEST_LNURL, M | T | S | R);
                /* The URL it carries, exactly. */
                char hrp[8];
                uint8_t data[400], url[300];
                size_t n, ulen;
                enum bech32_encoding enc;
                const char *e;
                assert_int_equal(bech32_decode(s, strlen(s), 0, hrp, sizeof(hrp), data,
                                               sizeof(data), &n, &enc, &e),
                                 0);
                assert_string_equal(hrp, "lnurl");
                assert_int_equal(bech32_5to8(data, n, url, sizeof(url) - 1, &ulen), 0);
                url[ulen] = '\0';
                assert_string_equal((char *)url, lnurl_valid[i].url);
        }
        for (size_t i = 0; i < N(lnurl_invalid); i++)
                expect_err(lnurl_invalid[i].s, lnurl_invalid[i].err);
        char buf[300];
        snprintf(buf, sizeof(buf), "lightning:%s", lnurl_valid[0].s);
        expect_on(buf, DEST_LNURL, M | T | S | R);
        snprintf(buf, sizeof(buf), "LIGHTNING:%s", lnurl_valid[1].s);
        expect_on(buf, DEST_LNURL, M | T | S | R);
}

/* --- input shape ---------------------------------------------------------- */

static void
test_input_shape(void **state)
{
        (void)state;
        struct dest d;
        char err[256];
        const char *inv = bolt11_valid[1].s;
        char buf[DEST_MAX_LEN + 16];

        expect_err("", "destination is empty");
        assert_int_equal(dest_parse(NULL, DEST_NET_MAINNET, &d, err, sizeof(err)), -1);
        assert_string_equal(err, "destination is missing");
        assert_int_equal(dest_parse(inv, (enum dest_network)4, &d, err, sizeof(err)), -1);
        assert_string_equal(err, "unknown store network");

        snprintf(buf, sizeof(buf), " %s", inv);
        expect_err(buf, "destination has leading or trailing whitespace");
        snprintf(buf, sizeof(buf), "%s\n", inv);
        expect_err(buf, "destination has leading or trailing whitespace");
        snprintf(buf, sizeof(buf), "\t%s", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
        expect_err(buf, "destination has leading or trailing whitespace");
        expect_err("alice@example.com ", "destination has leading or trailing whitespace");

        /* "lightning:" is stripped, in any case, before invoices... */
        snprintf(buf, sizeof(buf), "lightning:%s", inv);
        assert_int_equal(dest_parse(buf, DEST_NET_MAINNET, &d, err, sizeof(err)), 0);
        assert_int_equal(d.type, DEST_BOLT11);
        assert_int_equal(d.amount_msat, 250000000);
        snprintf(buf, sizeof(buf), "LIGHTNING:%s", bolt11_valid[11].s);
        assert_int_equal(dest_parse(buf, DEST_NET_MAINNET, &d, err, sizeof(err)), 0);
        assert_int_equal(d.amount_msat, 2500000000LL);
        /* ...and nowhere else, and only once. */
        expect_err("lightning:", "nothing valid follows \"lightning:\"");
        snprintf(buf, sizeof(buf), "lightning: %s", inv);
        expect_err(buf, "nothing valid follows \"lightning:\"");
        expect_err("lightning:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                   "\"lightning:\" must be followed by an invoice, offer or LNURL");
        snprintf(buf, sizeof(buf), "lightning:lightning:%s", inv);
        expect_err(buf, "\"lightning:\" must be followed by an invoice, offer or LNURL");

        /* Length: DEST_MAX_LEN is allowed, one more is not. */
        memset(buf, 'q', DEST_MAX_LEN + 1);
        buf[DEST_MAX_LEN + 1] = '\0';
        memcpy(buf, "lnbc1", 5);
        expect_err(buf, "destination is longer than 2048 characters");
        buf[DEST_MAX_LEN] = '\0';
        assert_int_equal(dest_parse(buf, DEST_NET_MAINNET, &d, err, sizeof(err)), -1);
        assert_string_equal(err, "bech32 checksum mismatch");

        /* A tiny err buffer is truncated, never overrun. */
        char small[8];
        assert_int_equal(dest_parse("", DEST_NET_MAINNET, &d, small, sizeof(small)), -1);
        assert_string_equal(small, "destina");
        expect_err("hello world", "invalid base58 character");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_bech32_valid_strings),
            cmocka_unit_test(test_bech32_invalid_strings),
            cmocka_unit_test(test_bech32_5to8),
            cmocka_unit_test(test_segwit_valid),
            cmocka_unit_test(test_segwit_invalid),
            cmocka_unit_test(test_base58_valid),
            cmocka_unit_test(test_base58_codec),
            cmocka_unit_test(test_key_io_invalid),
            cmocka_unit_test(test_private_keys_refused),
            cmocka_unit_test(test_address_network_messages),
            cmocka_unit_test(test_bolt11_valid),
            cmocka_unit_test(test_bolt11_invalid),
            cmocka_unit_test(test_bolt11_network_messages),
            cmocka_unit_test(test_curve_checks),
            cmocka_unit_test(test_bolt12_valid),
            cmocka_unit_test(test_bolt12_invalid),
            cmocka_unit_test(test_bolt12_decoded_bytes),
            cmocka_unit_test(test_bolt12_network_messages),
            cmocka_unit_test(test_bolt12_format_strings),
            cmocka_unit_test(test_lightning_address),
            cmocka_unit_test(test_lnurl),
            cmocka_unit_test(test_input_shape),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
