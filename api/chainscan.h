/* Reading bitcoind's listsinceblock answer for the on-chain watcher: the
 * `receive` outputs of `removed` (reorged-out blocks) then `transactions`,
 * each keyed by (txid, vout) with its address, amount (read from the answer's
 * text, never through a double) and confirmations, and `lastblock`. Pure. */
#ifndef QPAYD_API_CHAINSCAN_H
#define QPAYD_API_CHAINSCAN_H

#include <stddef.h>
#include <stdint.h>

struct chainscan_entry {
        char txid[65];
        long vout;
        char address[128];
        int64_t amount_sats;
        long confirmations; /* negative: conflicted */
        int replaced;       /* unconfirmed, and a conflicting transaction is in the mempool */
};

struct chainscan {
        struct chainscan_entry *items; /* owned */
        size_t n;
        char lastblock[65];
};

/* Parses the whole JSON-RPC answer text (len bytes, NUL terminated). 0, or
 * -1 with err naming what was unreadable. */
int chainscan_parse(const char *text, size_t len, struct chainscan *out, char *err, size_t errsz);
void chainscan_free(struct chainscan *s);

/* What to record for e: "removed" when conflicted or replaced, "credited" at
 * confirmations_required or deeper, else "seen". */
const char *chainscan_state(const struct chainscan_entry *e, int confirmations_required);

#endif
