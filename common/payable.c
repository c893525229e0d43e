#include "payable.h"

#include <stdio.h>
#include <string.h>

/* What each backend's pay call accepts (executor/phoenixd.c, barkd.c,
 * bitcoind.c): phoenixd has no call for LNURL-pay, barkd pays every
 * Lightning kind, bitcoind only addresses. */
static const struct {
        const char *backend;
        unsigned types; /* 1 << enum dest_type */
} payable_table[] = {
    {"phoenixd", 1u << DEST_BOLT11 | 1u << DEST_BOLT12_OFFER | 1u << DEST_LIGHTNING_ADDRESS},
    {"barkd",
     1u << DEST_BOLT11 | 1u << DEST_BOLT12_OFFER | 1u << DEST_LIGHTNING_ADDRESS | 1u << DEST_LNURL},
    {"bitcoind", 1u << DEST_BITCOIN_ADDRESS},
};

int
payable_check(const char *backend, enum dest_type t, char *reason, size_t reasonsz)
{
        for (size_t i = 0; backend != NULL && i < sizeof(payable_table) / sizeof(*payable_table);
             i++)
                if (strcmp(payable_table[i].backend, backend) == 0) {
                        if (payable_table[i].types & 1u << t)
                                return 1;
                        if (reason != NULL)
                                snprintf(reason, reasonsz,
                                         "%s cannot pay a %s here: settle it by hand", backend,
                                         dest_type_name(t));
                        return 0;
                }
        if (reason != NULL)
                snprintf(reason, reasonsz, "no payout backend %s in this build: settle it by hand",
                         backend ? backend : "configured");
        return 0;
}
