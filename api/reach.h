/* Reaching each store's receive backends (phoenixd with the limited
 * password, bitcoind's watch-only wallet) and checking they are the ones the
 * config means: for `qpayd check-config` (reach_check), for `serve`'s start
 * and reload (receiver_preflight) and for the on-chain watcher. */
#ifndef QPAYD_REACH_H
#define QPAYD_REACH_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* Does bitcoind's getblockchaininfo chain ("main", "test", "testnet4",
 * "signet", "regtest") belong to the store's network (mainnet, testnet,
 * signet, regtest)? 1 when it does, else 0. */
int reach_bitcoin_chain_matches(const char *chain, const char *network);

/* What a receive backend's check found. */
enum reach_verdict {
        REACH_OK,
        REACH_UNREACHABLE,  /* no answer, no useful one, or no credential to ask with */
        REACH_WRONG_CHAIN,  /* another chain than the store's network: refuse */
        REACH_FULL_PASSWORD /* phoenixd's "limited" password can pay: refuse */
};
/* phoenixd: getinfo with the limited password, its chain against the store's
 * network, and that the password cannot pay (lnrecv_password_is_full). chain
 * gets phoenixd's chain name ("" when unknown); why says what was wrong, or
 * on REACH_OK what was found. */
enum reach_verdict reach_lightning_probe(const struct config_store *st, long timeout, char *chain,
                                         size_t chainsz, char *why, size_t whysz);
/* bitcoind: getblockchaininfo, its chain against the store's network; *ibd
 * is set during initial block download. chain gets the node's chain name
 * ("" when unknown). */
enum reach_verdict reach_bitcoin_node(const struct config_store *st, long timeout, int *ibd,
                                      char *chain, size_t chainsz, char *why, size_t whysz);

/* Checks every store's [stores.lightning] and [stores.bitcoin]: one line per
 * backend, "store ID: KIND BACKEND URL: ok (...)" on out, or
 * "...: ERROR why" on err; warnings go to out, among them a backend that
 * does not answer at all (down: serve would start and keep trying). Returns
 * the number of backends in error (0: none answered wrongly). */
int reach_check(const struct config *cfg, FILE *out, FILE *err);

#endif
