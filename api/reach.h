/* `qpayd check-config` without --offline: reaches each store's receive
 * backends (phoenixd with the limited password, bitcoind's watch-only
 * wallet) and checks they are the ones the config means. */
#ifndef QPAYD_REACH_H
#define QPAYD_REACH_H

#include <stdio.h>

#include "config.h"

/* Does bitcoind's getblockchaininfo chain ("main", "test", "testnet4",
 * "signet", "regtest") belong to the store's network (mainnet, testnet,
 * signet, regtest)? 1 when it does, else 0. */
int reach_bitcoin_chain_matches(const char *chain, const char *network);

/* Checks every store's [stores.lightning] and [stores.bitcoin]: one line per
 * backend, "store ID: KIND BACKEND URL: ok (...)" on out, or
 * "...: ERROR why" on err; warnings go to out. Returns the number of
 * backends in error (0: all reachable and as configured). */
int reach_check(const struct config *cfg, FILE *out, FILE *err);

#endif
