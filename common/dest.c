#include "dest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base58.h"
#include "bech32.h"
#include "bolt11.h"

static const char *const dest_network_names[] = {"mainnet", "testnet", "signet", "regtest"};

static const char *const dest_type_names[] = {"bolt11", "bolt12_offer", "lightning_address",
                                              "lnurl", "bitcoin_address"};

int
dest_network_parse(const char *name, enum dest_network *out)
{
        for (size_t i = 0; i < sizeof(dest_network_names) / sizeof(dest_network_names[0]); i++) {
                if (name && strcmp(name, dest_network_names[i]) == 0) {
                        *out = (enum dest_network)i;
                        return 0;
                }
        }
        return -1;
}

const char *
dest_network_name(enum dest_network net)
{
        if ((unsigned)net >= sizeof(dest_network_names) / sizeof(dest_network_names[0]))
                return "unknown";
        return dest_network_names[net];
}

const char *
dest_type_name(enum dest_type t)
{
        if ((unsigned)t >= sizeof(dest_type_names) / sizeof(dest_type_names[0]))
                return "unknown";
        return dest_type_names[t];
}

int
dest_type_is_lightning(enum dest_type t)
{
        return t == DEST_BOLT11 || t == DEST_BOLT12_OFFER || t == DEST_LIGHTNING_ADDRESS ||
               t == DEST_LNURL;
}

__attribute__((format(printf, 3, 4))) static int
dest_fail(char *err, size_t errsz, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
        return -1;
}

static char
dest_lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII only: the C library's isspace/isalnum depend on the locale. */
static int
dest_is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int
dest_is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
dest_prefix_ci(const char *s, size_t len, const char *prefix)
{
        size_t plen = strlen(prefix);
        if (len < plen)
                return 0;
        for (size_t i = 0; i < plen; i++)
                if (dest_lower(s[i]) != prefix[i])
                        return 0;
        return 1;
}

/* --- on-chain addresses -------------------------------------------------- */

static int
dest_bitcoin_address(const char *s, size_t len, enum dest_network net, char *err, size_t errsz)
{
        const char *store = dest_network_name(net);
        const char *e;
        if (dest_prefix_ci(s, len, "bc1") || dest_prefix_ci(s, len, "tb1") ||
            dest_prefix_ci(s, len, "bcrt1")) {
                char hrp[8];
                uint8_t prog[40];
                size_t proglen;
                int version;
                if (bech32_segwit_decode(s, len, hrp, sizeof(hrp), &version, prog, &proglen, &e) <
                    0)
                        return dest_fail(err, errsz, "%s", e);
                if (strcmp(hrp, "bc") != 0 && strcmp(hrp, "tb") != 0 && strcmp(hrp, "bcrt") != 0)
                        return dest_fail(err, errsz,
                                         "unknown address prefix \"%s\" (expected bc, tb or bcrt)",
                                         hrp);
                if (strcmp(hrp, "bc") == 0 && net != DEST_NET_MAINNET)
                        return dest_fail(err, errsz, "address is for mainnet, store network is %s",
                                         store);
                if (strcmp(hrp, "tb") == 0 && net != DEST_NET_TESTNET && net != DEST_NET_SIGNET)
                        return dest_fail(err, errsz,
                                         "address is for testnet or signet, store network is %s",
                                         store);
                if (strcmp(hrp, "bcrt") == 0 && net != DEST_NET_REGTEST)
                        return dest_fail(err, errsz, "address is for regtest, store network is %s",
                                         store);
                return 0;
        }
        uint8_t payload[BASE58_MAX_LEN];
        size_t n;
        if (base58_check_decode(s, len, payload, sizeof(payload), &n, &e) < 0) {
                /* Say "wrong prefix" rather than "bad base58" for bech32. */
                char hrp[BECH32_ADDRESS_MAX];
                uint8_t data[BECH32_ADDRESS_MAX];
                size_t ndata;
                enum bech32_encoding enc;
                const char *e2;
                if (bech32_decode(s, len, BECH32_ADDRESS_MAX, hrp, sizeof(hrp), data, sizeof(data),
                                  &ndata, &enc, &e2) == 0)
                        return dest_fail(err, errsz,
                                         "unknown address prefix \"%s\" (expected bc, tb or bcrt)",
                                         hrp);
                return dest_fail(err, errsz, "%s", e);
        }
        /* A 21-byte payload is a version byte and a 20-byte hash; anything
         * else (WIF private keys, extended keys) is not an address. */
        if (n != 21)
                return dest_fail(err, errsz, "base58 string is not a P2PKH or P2SH address");
        switch (payload[0]) {
        case 0x00:
        case 0x05:
                if (net != DEST_NET_MAINNET)
                        return dest_fail(err, errsz, "address is for mainnet, store network is %s",
                                         store);
                return 0;
        case 0x6f:
        case 0xc4:
                if (net == DEST_NET_MAINNET)
                        return dest_fail(err, errsz,
                                         "address is for testnet, signet or regtest, store "
                                         "network is %s",
                                         store);
                return 0;
        default:
                return dest_fail(err, errsz, "unknown base58 address version 0x%02x", payload[0]);
        }
}

/* --- Lightning address (LUD-16) and LNURL (LUD-01) ----------------------- */

/* A DNS name of at least two labels, lowercase, as LUD-16 servers are found by
 * name; a numeric last label would be an IP address, which has no TLS name. */
static int
dest_domain(const char *d, size_t len, char *err, size_t errsz)
{
        if (len == 0 || len > 253)
                return dest_fail(err, errsz, "domain must be 1 to 253 characters");
        size_t labels = 0, start = 0;
        int numeric = 1;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && d[i] != '.') {
                        char c = d[i];
                        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                                return dest_fail(err, errsz,
                                                 "domain may only contain a-z, 0-9, '-' and '.'");
                        if (c < '0' || c > '9')
                                numeric = 0;
                        continue;
                }
                size_t llen = i - start;
                if (llen == 0 || llen > 63)
                        return dest_fail(err, errsz, "domain labels must be 1 to 63 characters");
                if (d[start] == '-' || d[i - 1] == '-')
                        return dest_fail(err, errsz,
                                         "domain labels must not start or end with '-'");
                labels++;
                if (i < len)
                        numeric = 1;
                start = i + 1;
        }
        if (labels < 2)
                return dest_fail(err, errsz, "domain must contain a dot");
        if (numeric)
                return dest_fail(err, errsz, "domain must be a name, not an IP address");
        return 0;
}

static int
dest_lightning_address(const char *s, size_t len, char *err, size_t errsz)
{
        const char *at = memchr(s, '@', len);
        size_t ulen = (size_t)(at - s);
        if (memchr(at + 1, '@', len - ulen - 1))
                return dest_fail(err, errsz, "lightning address has more than one '@'");
        if (ulen == 0 || ulen > 64)
                return dest_fail(err, errsz, "lightning address user must be 1 to 64 characters");
        for (size_t i = 0; i < ulen; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.+", c)))
                        return dest_fail(err, errsz,
                                         "lightning address user may only contain "
                                         "a-z, 0-9, '-', '_', '.' and '+'");
        }
        char derr[96];
        if (dest_domain(at + 1, len - ulen - 1, derr, sizeof(derr)) < 0)
                return dest_fail(err, errsz, "lightning address %s", derr);
        return 0;
}

static int
dest_lnurl(const char *s, size_t len, char *err, size_t errsz)
{
        char hrp[8];
        uint8_t data[DEST_MAX_LEN];
        uint8_t url[DEST_MAX_LEN];
        size_t n, ulen;
        enum bech32_encoding enc;
        const char *e;
        if (bech32_decode(s, len, 0, hrp, sizeof(hrp), data, sizeof(data), &n, &enc, &e) < 0)
                return dest_fail(err, errsz, "%s", e);
        if (strcmp(hrp, "lnurl") != 0)
                return dest_fail(err, errsz, "LNURL prefix must be \"lnurl\"");
        if (enc != BECH32_ENC_BECH32)
                return dest_fail(err, errsz, "LNURL must use bech32, not bech32m");
        if (bech32_5to8(data, n, url, sizeof(url), &ulen) < 0)
                return dest_fail(err, errsz, "LNURL has invalid padding");
        for (size_t i = 0; i < ulen; i++)
                if (url[i] < 0x21 || url[i] > 0x7e)
                        return dest_fail(err, errsz, "LNURL does not decode to a URL");
        const char *u = (const char *)url;
        size_t hstart;
        int https;
        if (dest_prefix_ci(u, ulen, "https://")) {
                hstart = 8;
                https = 1;
        } else if (dest_prefix_ci(u, ulen, "http://")) {
                hstart = 7;
                https = 0;
        } else {
                return dest_fail(err, errsz, "LNURL must decode to an https:// URL");
        }
        size_t hend = hstart;
        while (hend < ulen && !strchr("/?#", u[hend]))
                hend++;
        const char *host = u + hstart;
        size_t hlen = hend - hstart;
        if (memchr(host, '@', hlen))
                return dest_fail(err, errsz, "LNURL must not contain credentials");
        const char *colon = memchr(host, ':', hlen);
        if (colon) {
                size_t plen = hlen - (size_t)(colon - host) - 1;
                unsigned port = 0;
                if (plen == 0 || plen > 5)
                        return dest_fail(err, errsz, "LNURL has an invalid port");
                for (size_t i = 1; i <= plen; i++) {
                        if (colon[i] < '0' || colon[i] > '9')
                                return dest_fail(err, errsz, "LNURL has an invalid port");
                        port = port * 10 + (unsigned)(colon[i] - '0');
                }
                if (port == 0 || port > 65535)
                        return dest_fail(err, errsz, "LNURL has an invalid port");
                hlen = (size_t)(colon - host);
        }
        char lhost[256];
        if (hlen == 0 || hlen >= sizeof(lhost))
                return dest_fail(err, errsz, "LNURL has an invalid host");
        for (size_t i = 0; i < hlen; i++)
                lhost[i] = dest_lower(host[i]);
        char derr[96];
        if (dest_domain(lhost, hlen, derr, sizeof(derr)) < 0)
                return dest_fail(err, errsz, "LNURL host: %s", derr);
        /* Plain http only where the transport is already encrypted: Tor. */
        if (!https && (hlen < 6 || memcmp(lhost + hlen - 6, ".onion", 6) != 0))
                return dest_fail(err, errsz, "LNURL must use https (http only for .onion hosts)");
        return 0;
}

/* --- BOLT12 offers ------------------------------------------------------- */

/* Genesis block hashes in internal byte order, as offer_chains carries them. */
static const struct {
        const char *hex;
        const char *name;
        enum dest_network net;
} dest_chains[] = {
    {"6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000", "mainnet",
     DEST_NET_MAINNET},
    {"43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000", "testnet",
     DEST_NET_TESTNET},
    {"43f08bdab050e35b567c864b91f47f50ae725ae2de53bcfbbaf284da00000000", "testnet4",
     DEST_NET_TESTNET},
    {"f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000", "signet", DEST_NET_SIGNET},
    {"06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f", "regtest",
     DEST_NET_REGTEST},
};

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int
dest_utf8_valid(const uint8_t *p, size_t n)
{
        size_t i = 0;
        while (i < n) {
                uint8_t c = p[i];
                size_t k;
                uint32_t cp, min;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        k = 1, cp = c & 0x1f, min = 0x80;
                } else if ((c & 0xf0) == 0xe0) {
                        k = 2, cp = c & 0x0f, min = 0x800;
                } else if ((c & 0xf8) == 0xf0) {
                        k = 3, cp = c & 0x07, min = 0x10000;
                } else {
                        return 0;
                }
                if (n - i - 1 < k)
                        return 0;
                for (size_t j = 1; j <= k; j++) {
                        if ((p[i + j] & 0xc0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i + j] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                i += k + 1;
        }
        return 1;
}

/* BOLT1 BigSize: 1, 3, 5 or 9 bytes, minimally encoded. */
static int
dest_bigsize(const uint8_t *p, size_t n, size_t *pos, uint64_t *out)
{
        if (*pos >= n)
                return -1;
        uint8_t b = p[(*pos)++];
        size_t k = b == 0xfd ? 2 : b == 0xfe ? 4 : b == 0xff ? 8 : 0;
        uint64_t min = b == 0xfd ? 0xfd : b == 0xfe ? 0x10000 : 0x100000000ULL;
        if (k == 0) {
                *out = b;
                return 0;
        }
        if (n - *pos < k)
                return -1;
        uint64_t v = 0;
        for (size_t i = 0; i < k; i++)
                v = v << 8 | p[(*pos)++];
        if (v < min)
                return -1;
        *out = v;
        return 0;
}

/* BOLT1 tu64: at most 8 bytes, big-endian, no leading zero byte. */
static int
dest_tu64(const uint8_t *p, size_t n, uint64_t *out)
{
        if (n > 8 || (n > 0 && p[0] == 0))
                return -1;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[i];
        *out = v;
        return 0;
}

/* offer_paths: one or more blinded paths (BOLT4), consumed exactly. */
static int
dest_blinded_paths(const uint8_t *p, size_t n, char *err, size_t errsz)
{
        size_t pos = 0;
        if (n == 0)
                return dest_fail(err, errsz, "offer_paths is empty");
        while (pos < n) {
                /* first_node_id: sciddir (0 or 1, then an 8-byte scid) or a point */
                size_t first = p[pos] <= 1 ? 9 : 33;
                if (n - pos < first + 33 + 1)
                        return dest_fail(err, errsz, "offer_paths is truncated");
                if (first == 33 && !bolt11_point_valid(p + pos))
                        return dest_fail(err, errsz, "offer path has an invalid first node id");
                pos += first;
                if (!bolt11_point_valid(p + pos))
                        return dest_fail(err, errsz, "offer path has an invalid path key");
                pos += 33;
                uint8_t hops = p[pos++];
                if (hops == 0)
                        return dest_fail(err, errsz, "offer path has no hops");
                for (uint8_t h = 0; h < hops; h++) {
                        if (n - pos < 33 + 2)
                                return dest_fail(err, errsz, "offer_paths is truncated");
                        if (!bolt11_point_valid(p + pos))
                                return dest_fail(err, errsz,
                                                 "offer path has an invalid blinded node id");
                        size_t enclen = (size_t)p[pos + 33] << 8 | p[pos + 34];
                        pos += 35;
                        if (n - pos < enclen)
                                return dest_fail(err, errsz, "offer_paths is truncated");
                        pos += enclen;
                }
        }
        return 0;
}

struct dest_offer {
        int chains, chain_ok, currency, amount, description, paths, issuer_id;
        unsigned named; /* bit k: dest_chains[k] already in chain_names; bit 31: another */
        char chain_names[64];
};

static int
dest_offer_chains(const uint8_t *v, size_t len, enum dest_network net, struct dest_offer *o,
                  char *err, size_t errsz)
{
        if (len % 32 != 0)
                return dest_fail(err, errsz, "offer_chains length is not a multiple of 32");
        o->chains = 1;
        for (size_t c = 0; c < len; c += 32) {
                char hex[65];
                for (size_t i = 0; i < 32; i++) {
                        hex[2 * i] = "0123456789abcdef"[v[c + i] >> 4];
                        hex[2 * i + 1] = "0123456789abcdef"[v[c + i] & 15];
                }
                hex[64] = '\0';
                const char *name = "another chain";
                unsigned bit = 1u << 31;
                for (size_t k = 0; k < sizeof(dest_chains) / sizeof(dest_chains[0]); k++) {
                        if (strcmp(hex, dest_chains[k].hex) == 0) {
                                name = dest_chains[k].name;
                                bit = 1u << k;
                                o->chain_ok |= dest_chains[k].net == net;
                        }
                }
                if (o->named & bit)
                        continue;
                o->named |= bit;
                size_t used = strlen(o->chain_names);
                snprintf(o->chain_names + used, sizeof(o->chain_names) - used, "%s%s",
                         used ? ", " : "", name);
        }
        return 0;
}

/* One offer TLV record; unknown odd types are skipped, unknown even refused. */
static int
dest_offer_field(uint64_t type, const uint8_t *v, size_t len, enum dest_network net,
                 struct dest_offer *o, char *err, size_t errsz)
{
        uint64_t x;
        switch (type) {
        case 2:
                return dest_offer_chains(v, len, net, o, err, errsz);
        case 4: /* offer_metadata: opaque */
                return 0;
        case 6:
        case 10:
        case 18:
                if (!dest_utf8_valid(v, len))
                        return dest_fail(err, errsz, "offer_%s is not valid UTF-8",
                                         type == 6    ? "currency"
                                         : type == 10 ? "description"
                                                      : "issuer");
                o->currency |= type == 6;
                o->description |= type == 10;
                return 0;
        case 8:
                if (dest_tu64(v, len, &x) < 0)
                        return dest_fail(err, errsz, "offer_amount is not a minimal integer");
                o->amount = 1;
                /* Without a currency the amount is in millisatoshis. */
                if (!o->currency && x > 2100000000000000000ULL)
                        return dest_fail(err, errsz, "offer_amount exceeds 21000000 BTC");
                return 0;
        case 12:
                for (size_t i = 0; i < len; i++)
                        for (unsigned b = 0; b < 8; b += 2)
                                if ((v[i] >> b) & 1)
                                        return dest_fail(err, errsz,
                                                         "offer requires unknown feature bit %zu",
                                                         (len - 1 - i) * 8 + b);
                return 0;
        case 14:
        case 20:
                if (dest_tu64(v, len, &x) < 0)
                        return dest_fail(err, errsz, "offer_%s is not a minimal integer",
                                         type == 14 ? "absolute_expiry" : "quantity_max");
                return 0;
        case 16:
                o->paths = 1;
                return dest_blinded_paths(v, len, err, errsz);
        case 22:
                if (len != 33 || !bolt11_point_valid(v))
                        return dest_fail(err, errsz, "offer_issuer_id is not a valid public key");
                o->issuer_id = 1;
                return 0;
        default:
                if (type % 2 == 0)
                        return dest_fail(err, errsz, "offer has unknown required field %llu",
                                         (unsigned long long)type);
                return 0;
        }
}

static int
dest_bolt12(const char *s, size_t len, enum dest_network net, char *err, size_t errsz)
{
        /* Join the parts: '+' then optional whitespace, between two characters
         * of the string (BOLT12 "Encoding"). */
        char j[DEST_MAX_LEN] = {0};
        size_t jl = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '+') {
                        if (jl == 0 || !dest_is_alnum(j[jl - 1]))
                                return dest_fail(err, errsz, "'+' must join two parts of an offer");
                        while (i + 1 < len && dest_is_space(s[i + 1]))
                                i++;
                        if (i + 1 >= len || !dest_is_alnum(s[i + 1]))
                                return dest_fail(err, errsz, "'+' must join two parts of an offer");
                } else if (dest_is_space(s[i])) {
                        return dest_fail(err, errsz, "whitespace in an offer must follow '+'");
                } else {
                        j[jl++] = s[i];
                }
        }
        if (!dest_prefix_ci(j, jl, "lno1"))
                return dest_fail(err, errsz, "'+' is only allowed inside a BOLT12 offer");
        int lower = 0, upper = 0;
        uint8_t d5[DEST_MAX_LEN];
        for (size_t i = 0; i < jl; i++) {
                lower |= j[i] >= 'a' && j[i] <= 'z';
                upper |= j[i] >= 'A' && j[i] <= 'Z';
                if (i >= 4) {
                        int v = bech32_char_value(j[i]);
                        if (v < 0)
                                return dest_fail(err, errsz, "invalid character in offer");
                        d5[i - 4] = (uint8_t)v;
                }
        }
        if (lower && upper)
                return dest_fail(err, errsz, "offer mixes upper and lower case");
        uint8_t p[DEST_MAX_LEN];
        size_t n, pos = 0;
        if (bech32_5to8(d5, jl - 4, p, sizeof(p), &n) < 0)
                return dest_fail(err, errsz, "offer has invalid padding");
        if (n == 0)
                return dest_fail(err, errsz, "offer is empty");
        struct dest_offer o;
        memset(&o, 0, sizeof(o));
        uint64_t prev = 0;
        while (pos < n) {
                uint64_t type, flen;
                if (dest_bigsize(p, n, &pos, &type) < 0 || dest_bigsize(p, n, &pos, &flen) < 0 ||
                    flen > n - pos)
                        return dest_fail(err, errsz, "offer TLV stream is truncated or malformed");
                if (prev != 0 && type <= prev)
                        return dest_fail(err, errsz, "offer fields are not in increasing order");
                if (!((type >= 1 && type <= 79) || (type >= 1000000000 && type <= 1999999999)))
                        return dest_fail(err, errsz,
                                         "offer has field %llu outside the offer ranges",
                                         (unsigned long long)type);
                prev = type;
                if (dest_offer_field(type, p + pos, (size_t)flen, net, &o, err, errsz) < 0)
                        return -1;
                pos += (size_t)flen;
        }
        if (o.amount && !o.description)
                return dest_fail(err, errsz, "offer has an amount but no description");
        if (o.currency && !o.amount)
                return dest_fail(err, errsz, "offer has a currency but no amount");
        if (!o.issuer_id && !o.paths)
                return dest_fail(err, errsz, "offer has neither an issuer id nor paths");
        if (!o.chains && net != DEST_NET_MAINNET)
                return dest_fail(err, errsz, "offer is for mainnet, store network is %s",
                                 dest_network_name(net));
        if (o.chains && !o.chain_ok)
                return dest_fail(err, errsz, "offer is for %s, store network is %s",
                                 o.chain_names[0] ? o.chain_names : "no chain",
                                 dest_network_name(net));
        return 0;
}

/* --- entry point --------------------------------------------------------- */

static int
dest_bolt11(const char *s, size_t len, enum dest_network net, struct dest *out, char *err,
            size_t errsz)
{
        struct bolt11 b;
        if (bolt11_decode(s, len, &b, err, errsz) < 0)
                return -1;
        if (b.network != net)
                return dest_fail(err, errsz, "invoice is for %s, store network is %s",
                                 dest_network_name(b.network), dest_network_name(net));
        out->has_amount = b.has_amount;
        out->amount_msat = b.amount_msat;
        out->created_at = b.timestamp;
        out->expires_at = b.timestamp + b.expiry; /* bolt11_decode bounds the sum */
        for (size_t i = 0; i < 32; i++) {
                out->payment_hash[2 * i] = "0123456789abcdef"[b.payment_hash[i] >> 4];
                out->payment_hash[2 * i + 1] = "0123456789abcdef"[b.payment_hash[i] & 15];
        }
        out->payment_hash[64] = '\0';
        return 0;
}

int
dest_parse(const char *s, enum dest_network net, struct dest *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof(*out));
        if (s == NULL)
                return dest_fail(err, errsz, "destination is missing");
        if ((unsigned)net > DEST_NET_REGTEST)
                return dest_fail(err, errsz, "unknown store network");
        size_t len = strnlen(s, DEST_MAX_LEN + 1);
        if (len == 0)
                return dest_fail(err, errsz, "destination is empty");
        if (len > DEST_MAX_LEN)
                return dest_fail(err, errsz, "destination is longer than %d characters",
                                 DEST_MAX_LEN);
        if (dest_is_space(s[0]) || dest_is_space(s[len - 1]))
                return dest_fail(err, errsz, "destination has leading or trailing whitespace");
        int uri = 0;
        if (dest_prefix_ci(s, len, "lightning:")) {
                s += 10;
                len -= 10;
                uri = 1;
                if (len == 0 || dest_is_space(s[0]))
                        return dest_fail(err, errsz, "nothing valid follows \"lightning:\"");
        }
        if (memchr(s, '@', len)) {
                if (uri)
                        return dest_fail(err, errsz,
                                         "a lightning address must not follow \"lightning:\"");
                out->type = DEST_LIGHTNING_ADDRESS;
                return dest_lightning_address(s, len, err, errsz);
        }
        /* '+' may split an offer, even inside "lno1" (BOLT12 format tests). */
        if (memchr(s, '+', len) || dest_prefix_ci(s, len, "lno1")) {
                out->type = DEST_BOLT12_OFFER;
                return dest_bolt12(s, len, net, err, errsz);
        }
        if (dest_prefix_ci(s, len, "lnurl1")) {
                out->type = DEST_LNURL;
                return dest_lnurl(s, len, err, errsz);
        }
        if (dest_prefix_ci(s, len, "ln")) {
                out->type = DEST_BOLT11;
                return dest_bolt11(s, len, net, out, err, errsz);
        }
        if (uri)
                return dest_fail(err, errsz,
                                 "\"lightning:\" must be followed by an invoice, "
                                 "offer or LNURL");
        if (memchr(s, ':', len))
                return dest_fail(err, errsz, "URIs other than \"lightning:\" are not accepted");
        out->type = DEST_BITCOIN_ADDRESS;
        return dest_bitcoin_address(s, len, net, err, errsz);
}
