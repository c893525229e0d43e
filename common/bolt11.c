#include "bolt11.h"

#include <stdio.h>
#include <string.h>

#include "bech32.h"

/* 21e6 BTC in millisatoshis; the same bound as AMOUNT_MAX_SATS. */
#define BOLT11_MAX_MSAT 2100000000000000000ULL

/* Timestamp (7 values) and signature (104 values) frame the tagged fields. */
#define BOLT11_TS_LEN  7
#define BOLT11_SIG_LEN 104

/* --- secp256k1 field arithmetic: 8 little-endian 32-bit limbs ------------ */

typedef uint32_t fe[8];

static const fe secp_p = {0xfffffc2f, 0xfffffffe, 0xffffffff, 0xffffffff,
                          0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
static const fe secp_n = {0xd0364141, 0xbfd25e8c, 0xaf48a03b, 0xbaaedce6,
                          0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff};

static void
fe_from_be(fe r, const uint8_t b[32])
{
        for (int i = 0; i < 8; i++)
                r[i] = (uint32_t)b[31 - 4 * i] | (uint32_t)b[30 - 4 * i] << 8 |
                       (uint32_t)b[29 - 4 * i] << 16 | (uint32_t)b[28 - 4 * i] << 24;
}

static int
fe_cmp(const fe a, const fe b)
{
        for (int i = 7; i >= 0; i--)
                if (a[i] != b[i])
                        return a[i] < b[i] ? -1 : 1;
        return 0;
}

static int
fe_is_zero(const fe a)
{
        uint32_t acc = 0;
        for (int i = 0; i < 8; i++)
                acc |= a[i];
        return acc == 0;
}

/* r = a + b; returns the carry out of bit 256. */
static uint32_t
fe_add_raw(fe r, const fe a, const fe b)
{
        uint64_t c = 0;
        for (int i = 0; i < 8; i++) {
                c += (uint64_t)a[i] + b[i];
                r[i] = (uint32_t)c;
                c >>= 32;
        }
        return (uint32_t)c;
}

static void
fe_sub_raw(fe r, const fe a, const fe b)
{
        int64_t c = 0;
        for (int i = 0; i < 8; i++) {
                c += (int64_t)a[i] - b[i];
                r[i] = (uint32_t)c;
                c = c < 0 ? -1 : 0;
        }
}

/* r = a * b mod p, for a, b < p. 2^256 = 2^32 + 977 (mod p) folds the high
 * half of the product onto the low half, twice, then one subtraction. */
static void
fe_mul(fe r, const fe a, const fe b)
{
        uint32_t t[16] = {0};
        for (int i = 0; i < 8; i++) {
                uint64_t c = 0;
                for (int j = 0; j < 8; j++) {
                        c += (uint64_t)a[i] * b[j] + t[i + j];
                        t[i + j] = (uint32_t)c;
                        c >>= 32;
                }
                t[i + 8] = (uint32_t)c;
        }
        uint32_t m[8];
        uint64_t c = 0;
        for (int i = 0; i < 8; i++) {
                c += (uint64_t)t[i] + (uint64_t)t[8 + i] * 977u;
                if (i > 0)
                        c += t[7 + i];
                m[i] = (uint32_t)c;
                c >>= 32;
        }
        uint64_t h = c + t[15]; /* m + h * 2^256, h < 2^34 */
        uint64_t x = h * 977u;
        c = (uint64_t)m[0] + (uint32_t)x;
        m[0] = (uint32_t)c;
        c >>= 32;
        c += (uint64_t)m[1] + (x >> 32) + (uint32_t)h;
        m[1] = (uint32_t)c;
        c >>= 32;
        c += (uint64_t)m[2] + (h >> 32);
        m[2] = (uint32_t)c;
        c >>= 32;
        for (int i = 3; i < 8; i++) {
                c += m[i];
                m[i] = (uint32_t)c;
                c >>= 32;
        }
        if (c) {
                /* Wrapped past 2^256, so m is now small: adding 2^32 + 977
                 * once more cannot carry again. */
                c = (uint64_t)m[0] + 977u;
                m[0] = (uint32_t)c;
                c >>= 32;
                c += (uint64_t)m[1] + 1u;
                m[1] = (uint32_t)c;
                c >>= 32;
                for (int i = 2; i < 8; i++) {
                        c += m[i];
                        m[i] = (uint32_t)c;
                        c >>= 32;
                }
        }
        while (fe_cmp(m, secp_p) >= 0)
                fe_sub_raw(m, m, secp_p);
        memcpy(r, m, sizeof(m));
}

/* x < p is on the curve when x^3 + 7 is a square mod p (Euler's criterion:
 * (x^3 + 7)^((p-1)/2) == 1). It is never 0: the group has odd order. */
static int
fe_x_on_curve(const fe x)
{
        if (fe_cmp(x, secp_p) >= 0)
                return 0;
        fe y2, seven = {7}, e, acc = {1};
        fe_mul(y2, x, x);
        fe_mul(y2, y2, x);
        if (fe_add_raw(y2, y2, seven) || fe_cmp(y2, secp_p) >= 0)
                fe_sub_raw(y2, y2, secp_p);
        /* e = (p - 1) / 2 */
        for (int i = 0; i < 8; i++)
                e[i] = (secp_p[i] >> 1) | (i < 7 ? secp_p[i + 1] << 31 : 0);
        for (int i = 255; i >= 0; i--) {
                fe_mul(acc, acc, acc);
                if ((e[i / 32] >> (i % 32)) & 1)
                        fe_mul(acc, acc, y2);
        }
        fe one = {1};
        return fe_cmp(acc, one) == 0;
}

int
bolt11_point_valid(const uint8_t key[33])
{
        if (key[0] != 0x02 && key[0] != 0x03)
                return 0;
        fe x;
        fe_from_be(x, key + 1);
        return fe_x_on_curve(x);
}

int
bolt11_signature_plausible(const uint8_t sig[65])
{
        fe r, s;
        fe_from_be(r, sig);
        fe_from_be(s, sig + 32);
        if (sig[64] > 3)
                return 0;
        if (fe_is_zero(r) || fe_cmp(r, secp_n) >= 0 || fe_is_zero(s) || fe_cmp(s, secp_n) >= 0)
                return 0;
        /* Ids 2 and 3 say R.x = r + n, which must still be below p. */
        if ((sig[64] & 2) && fe_add_raw(r, r, secp_n))
                return 0;
        return fe_x_on_curve(r);
}

/* --- invoice ------------------------------------------------------------- */

static const struct {
        const char *prefix;
        enum dest_network net;
} bolt11_currencies[] = {
    /* Longest first: "bcrt" starts with "bc", "tbs" with "tb". No amount
     * begins with a letter, so the first match is the only reading. */
    {"bcrt", DEST_NET_REGTEST},
    {"bc", DEST_NET_MAINNET},
    {"tbs", DEST_NET_SIGNET},
    {"tb", DEST_NET_TESTNET},
};

static int
bolt11_amount(const char *a, struct bolt11 *out, char *err, size_t errsz)
{
        size_t len = strlen(a);
        out->has_amount = 0;
        out->amount_msat = 0;
        if (len == 0)
                return 0;
        /* Millisatoshis per unit of the amount as written (1 BTC = 1e11). */
        uint64_t unit = 100000000000ULL;
        size_t nd = len;
        char mult = a[len - 1];
        if (mult < '0' || mult > '9') {
                nd--;
                switch (mult) {
                case 'm':
                        unit = 100000000ULL;
                        break;
                case 'u':
                        unit = 100000ULL;
                        break;
                case 'n':
                        unit = 100ULL;
                        break;
                case 'p':
                        unit = 1; /* after dropping the trailing 0 below */
                        break;
                default:
                        snprintf(err, errsz, "invalid invoice amount multiplier '%c'", mult);
                        return -1;
                }
        }
        if (nd == 0) {
                snprintf(err, errsz, "invoice amount has no digits");
                return -1;
        }
        for (size_t i = 0; i < nd; i++) {
                if (a[i] < '0' || a[i] > '9') {
                        snprintf(err, errsz, "invalid invoice amount");
                        return -1;
                }
        }
        if (a[0] == '0') {
                snprintf(err, errsz, "invoice amount must be positive without leading zeros");
                return -1;
        }
        if (mult == 'p') {
                /* 10 pico-bitcoin = 1 millisatoshi: less cannot be paid. */
                if (a[nd - 1] != '0') {
                        snprintf(err, errsz,
                                 "invoice amount is not a whole number of "
                                 "millisatoshis");
                        return -1;
                }
                nd--;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < nd; i++) {
                unsigned d = (unsigned)(a[i] - '0');
                if (v > (BOLT11_MAX_MSAT - d) / 10) {
                        snprintf(err, errsz, "invoice amount exceeds 21000000 BTC");
                        return -1;
                }
                v = v * 10 + d;
        }
        if (v > BOLT11_MAX_MSAT / unit) {
                snprintf(err, errsz, "invoice amount exceeds 21000000 BTC");
                return -1;
        }
        out->has_amount = 1;
        out->amount_msat = (int64_t)(v * unit);
        return 0;
}

/* Big-endian number in 5-bit values; -1 when above max. */
static int
bolt11_uint(const uint8_t *d, size_t n, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                if (v > max / 32 || d[i] > max - v * 32)
                        return -1;
                v = v * 32 + d[i];
        }
        *out = v;
        return 0;
}

/* Even bits that a BOLT #9 feature defines for invoices (context 9); an unknown
 * even bit means "you must understand this", so the invoice is refused. */
static int
bolt11_feature_known(size_t bit)
{
        return bit == 8 || bit == 14 || bit == 16 || bit == 24 || bit == 48;
}

static int
bolt11_features(const uint8_t *d, size_t n, char *err, size_t errsz)
{
        int secret = 0, mpp = 0;
        for (size_t i = 0; i < n; i++) {
                for (unsigned b = 0; b < 5; b++) {
                        if (!((d[i] >> b) & 1))
                                continue;
                        size_t bit = (n - 1 - i) * 5 + b;
                        if (bit % 2 == 0 && !bolt11_feature_known(bit)) {
                                snprintf(err, errsz, "invoice requires unknown feature bit %zu",
                                         bit);
                                return -1;
                        }
                        secret |= bit == 14 || bit == 15;
                        mpp |= bit == 16 || bit == 17;
                }
        }
        if (mpp && !secret) {
                snprintf(err, errsz, "invoice sets basic_mpp without payment_secret");
                return -1;
        }
        return 0;
}

static int
bolt11_fields(const uint8_t *d, size_t start, size_t end, struct bolt11 *out, char *err,
              size_t errsz)
{
        int nhash = 0, nexpiry = 0;
        size_t pos = start;
        out->expiry = 3600;
        while (pos < end) {
                if (end - pos < 3) {
                        snprintf(err, errsz, "invoice tagged field truncated");
                        return -1;
                }
                uint8_t type = d[pos];
                size_t flen = (size_t)d[pos + 1] * 32 + d[pos + 2];
                pos += 3;
                if (flen > end - pos) {
                        snprintf(err, errsz, "invoice tagged field longer than the invoice");
                        return -1;
                }
                const uint8_t *f = d + pos;
                pos += flen;
                uint8_t bytes[40];
                size_t nbytes;
                switch (type) {
                case 1: /* p: payment hash; other lengths are skipped (BOLT11) */
                        if (flen != 52)
                                break;
                        if (bech32_5to8(f, flen, bytes, sizeof(bytes), &nbytes) < 0 ||
                            nbytes != 32) {
                                snprintf(err, errsz, "invoice payment hash has non-zero padding");
                                return -1;
                        }
                        if (++nhash > 1) {
                                snprintf(err, errsz, "invoice has more than one payment hash");
                                return -1;
                        }
                        memcpy(out->payment_hash, bytes, 32);
                        break;
                case 6: { /* x: expiry seconds; timestamp + expiry must fit */
                        uint64_t v;
                        if (++nexpiry > 1) {
                                snprintf(err, errsz, "invoice has more than one expiry");
                                return -1;
                        }
                        if (bolt11_uint(f, flen, (uint64_t)(INT64_MAX - out->timestamp), &v) < 0) {
                                snprintf(err, errsz, "invoice expiry out of range");
                                return -1;
                        }
                        out->expiry = (int64_t)v;
                        break;
                }
                case 5: /* 9: features */
                        if (bolt11_features(f, flen, err, errsz) < 0)
                                return -1;
                        break;
                case 19: /* n: payee node id; other lengths are skipped */
                        if (flen != 53)
                                break;
                        if (bech32_5to8(f, flen, bytes, sizeof(bytes), &nbytes) < 0 ||
                            nbytes != 33 || !bolt11_point_valid(bytes)) {
                                snprintf(err, errsz, "invoice payee node id is not a valid key");
                                return -1;
                        }
                        break;
                default: /* s, d, h, c, f, r, m and unknown fields */
                        break;
                }
        }
        if (nhash == 0) {
                snprintf(err, errsz, "invoice has no payment hash");
                return -1;
        }
        return 0;
}

int
bolt11_decode(const char *s, size_t len, struct bolt11 *out, char *err, size_t errsz)
{
        char hrp[64];
        uint8_t d[DEST_MAX_LEN];
        size_t n;
        enum bech32_encoding enc;
        const char *e;
        memset(out, 0, sizeof(*out));
        if (bech32_decode(s, len, 0, hrp, sizeof(hrp), d, sizeof(d), &n, &enc, &e) < 0) {
                snprintf(err, errsz, "%s", e);
                return -1;
        }
        if (enc != BECH32_ENC_BECH32) {
                snprintf(err, errsz, "invoice must use bech32, not bech32m");
                return -1;
        }
        if (strncmp(hrp, "ln", 2) != 0) {
                snprintf(err, errsz, "invoice prefix must start with \"ln\"");
                return -1;
        }
        const char *amount = NULL;
        for (size_t i = 0; i < sizeof(bolt11_currencies) / sizeof(bolt11_currencies[0]); i++) {
                size_t plen = strlen(bolt11_currencies[i].prefix);
                if (strncmp(hrp + 2, bolt11_currencies[i].prefix, plen) == 0) {
                        out->network = bolt11_currencies[i].net;
                        amount = hrp + 2 + plen;
                        break;
                }
        }
        if (amount == NULL) {
                snprintf(err, errsz, "unknown invoice currency prefix \"%s\"", hrp);
                return -1;
        }
        if (bolt11_amount(amount, out, err, errsz) < 0)
                return -1;
        if (n < BOLT11_TS_LEN + BOLT11_SIG_LEN) {
                snprintf(err, errsz, "invoice too short");
                return -1;
        }
        uint64_t ts = 0;
        bolt11_uint(d, BOLT11_TS_LEN, UINT64_MAX, &ts); /* 35 bits always fit */
        out->timestamp = (int64_t)ts;
        if (bolt11_fields(d, BOLT11_TS_LEN, n - BOLT11_SIG_LEN, out, err, errsz) < 0)
                return -1;
        uint8_t sig[65];
        size_t siglen;
        /* 104 values are exactly 520 bits: no padding to check. */
        if (bech32_5to8(d + n - BOLT11_SIG_LEN, BOLT11_SIG_LEN, sig, sizeof(sig), &siglen) < 0 ||
            siglen != 65 || !bolt11_signature_plausible(sig)) {
                snprintf(err, errsz, "invoice signature is not recoverable");
                return -1;
        }
        return 0;
}
