/* The on-chain watcher of one store (run by the receiver thread): checks the
 * node (chain, initial block download), reads its watch-only wallet with
 * listsinceblock from the last block it stored, records every receive to an
 * invoice's address, re-checks payments still `seen` that the answer no
 * longer lists (double-spent between two polls), and stores the new last
 * block only when all of that was recorded. docs/receiving.md. */
#ifndef QPAYD_API_WATCHER_H
#define QPAYD_API_WATCHER_H

#include <stdatomic.h>

#include "config.h"
#include "db.h"

/* What was last logged about the store, so a broken node is reported when
 * it breaks and when it recovers, not on every poll. */
struct watcher_state {
        char problem[400];
};

/* One poll; stops early (without storing the last block) when *stop is set. */
void watcher_poll(struct db *db, const struct config_store *store, struct watcher_state *st,
                  const atomic_int *stop);

#endif
