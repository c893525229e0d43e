/* `qpayd wallet-init`: creates (or loads) the store's watch-only descriptor
 * wallet in bitcoind and imports the operator's public ranged descriptor into
 * it (BACKENDS.md, "Receiving with a watch-only wallet"). Safe to repeat. */
#ifndef QPAYD_WALLET_INIT_H
#define QPAYD_WALLET_INIT_H

#include <stddef.h>

#include "config.h"

/* Last index imported: an address per invoice, topped up by the keypool. */
#define WALLET_INIT_RANGE_END 999

/* Does the descriptor visibly hold a private key: an extended private key
 * (xprv, tprv, any "?prv", or any base58check BIP32 key whose key data
 * starts with 0x00) or a WIF key (version 0x80 or 0xef, 33 or 34 bytes)?
 * 1 with what[] naming the kind (never the key), else 0. Pure. */
int wallet_init_has_private_key(const char *descriptor, char *what, size_t whatsz);

/* Runs wallet-init for store_id. Prints the summary line to stdout and every
 * problem to stderr, naming the store and the bitcoind method. Returns the
 * exit code: 0, or 1 (configuration or bitcoind error). */
int wallet_init_run(const struct config *cfg, const char *store_id, const char *descriptor);

#endif
