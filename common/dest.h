/* Refund destinations: what a customer may ask a refund to be paid to, parsed
 * and checksum-validated against the store's network before a refund row is
 * written. Pure: no I/O, no clock, no network lookups (a Lightning address or
 * LNURL is only checked for shape here). docs/destinations.md lists what each
 * type accepts and rejects. */
#ifndef QPAYD_DEST_H
#define QPAYD_DEST_H

#include <stddef.h>
#include <stdint.h>

/* Longest destination accepted, in bytes, "lightning:" included. */
#define DEST_MAX_LEN 2048

enum dest_network { DEST_NET_MAINNET, DEST_NET_TESTNET, DEST_NET_SIGNET, DEST_NET_REGTEST };

/* Parses "mainnet", "testnet", "signet" or "regtest"; -1 on anything else. */
int dest_network_parse(const char *name, enum dest_network *out);
/* The name dest_network_parse accepts; "unknown" for a value out of range. */
const char *dest_network_name(enum dest_network net);

enum dest_type {
        DEST_BOLT11,
        DEST_BOLT12_OFFER,
        DEST_LIGHTNING_ADDRESS,
        DEST_LNURL,
        DEST_BITCOIN_ADDRESS
};

/* "bolt11", "bolt12_offer", "lightning_address", "lnurl", "bitcoin_address";
 * "unknown" for a value out of range. */
const char *dest_type_name(enum dest_type t);
/* True for every type but DEST_BITCOIN_ADDRESS. */
int dest_type_is_lightning(enum dest_type t);

struct dest {
        enum dest_type type;
        int has_amount;        /* bolt11 with an amount */
        int64_t amount_msat;   /* bolt11 amount in millisatoshis, else 0 */
        int64_t created_at;    /* bolt11 timestamp (unix seconds), else 0 */
        int64_t expires_at;    /* bolt11 timestamp + expiry (x field, default 3600), else 0 */
        char payment_hash[65]; /* bolt11 'p' field, lowercase hex, else "" */
};

/* Parses s for a store on network net. Returns 0 and fills out, or -1 with a
 * one-line reason in err (naming what is wrong, e.g. "bech32 checksum
 * mismatch", "address is for testnet or signet, store network is mainnet").
 * s is taken exactly as the user sent it: surrounding whitespace, an empty
 * string or more than DEST_MAX_LEN bytes are refused. An optional
 * "lightning:" prefix (any case) is allowed before an invoice, offer or LNURL.
 * Expiry and amount are reported, not judged: the caller compares them with
 * its clock and the refund amount. Never reads the network. */
int dest_parse(const char *s, enum dest_network net, struct dest *out, char *err, size_t errsz);

#endif
