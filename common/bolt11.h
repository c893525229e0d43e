/* BOLT #11 invoice decoding, and the few secp256k1 checks that need no
 * elliptic-curve library (is this x a curve point?). The signature itself is
 * not verified: that needs secp256k1, which qpayd does not link; the paying
 * node verifies it before any money moves. */
#ifndef QPAYD_BOLT11_H
#define QPAYD_BOLT11_H

#include <stddef.h>
#include <stdint.h>

#include "dest.h"

struct bolt11 {
        enum dest_network network; /* from the currency prefix */
        int has_amount;
        int64_t amount_msat; /* 1 .. 21e6 BTC in millisatoshis, when has_amount */
        int64_t timestamp;   /* unix seconds */
        int64_t expiry;      /* seconds, 3600 when there is no x field */
        uint8_t payment_hash[32];
};

/* Decodes s[0..len): an invoice without any "lightning:" prefix, either case
 * but not mixed, bech32 without the 90-character limit. Knows nothing of the
 * store network: the caller compares out->network. Refuses unknown currency
 * prefixes, malformed amounts (leading zeros, sub-millisatoshi pico amounts,
 * above 21e6 BTC), malformed tagged fields, a count of valid p fields other
 * than one, unknown even feature bits, and signatures that cannot be
 * recovered. Returns 0, or -1 with a one-line reason in err. */
int bolt11_decode(const char *s, size_t len, struct bolt11 *out, char *err, size_t errsz);

/* True when key is a compressed secp256k1 public key: 0x02 or 0x03, then an x
 * below the field prime for which x^3 + 7 is a square. */
int bolt11_point_valid(const uint8_t key[33]);

/* True when sig (r, s, recovery id) could yield a public key: recovery id
 * 0..3, r and s in 1..n-1, and r (+ n for ids 2 and 3) the x of a point. */
int bolt11_signature_plausible(const uint8_t sig[65]);

#endif
