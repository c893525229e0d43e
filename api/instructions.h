/* Payment instructions for a new invoice: a Lightning invoice from phoenixd
 * (limited password, externalId = the invoice id, webhookUrl when
 * [server] public_url is set), a fresh address from the store's watch-only
 * wallet (labelled with the invoice id, never reused), and the BIP21 URI
 * combining them. The backend calls block the calling worker for at most
 * their timeouts (docs/receiving.md). */
#ifndef QPAYD_API_INSTRUCTIONS_H
#define QPAYD_API_INSTRUCTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define INSTRUCTIONS_LIGHTNING 1u
#define INSTRUCTIONS_ONCHAIN   2u

struct instructions {
        char *bolt11; /* owned, or NULL */
        char payment_hash[65];
        char *address; /* owned, or NULL */
        char *bip21;   /* owned, or NULL */
};

/* Which methods the store can take: INSTRUCTIONS_* bits. */
unsigned instructions_available(const struct config_store *store);

/* Asks the backends of methods (a subset of instructions_available) for
 * instructions. 0, or -1 with *status (502), *code and msg naming the
 * backend and what went wrong; out is then empty. */
int instructions_make(const struct config *cfg, const struct config_store *store,
                      const char *invoice_id, int64_t amount_sats, const char *description,
                      int64_t expiry_seconds, unsigned methods, struct instructions *out,
                      int *status, const char **code, char *msg, size_t msgsz);
void instructions_free(struct instructions *in);

/* "bitcoin:<address>?amount=<BTC>&lightning=<bolt11>", the amount in BTC
 * without trailing zeros; "bitcoin:<address>?amount=<BTC>" without bolt11;
 * "lightning:<bolt11>" without an address. malloc'd, or NULL (both NULL, or
 * out of memory). */
char *instructions_bip21(const char *address, int64_t amount_sats, const char *bolt11);

#endif
