/* Refund destinations (common/dest.c: bech32, base58, bolt11, offers,
 * Lightning addresses, LNURL) as a client sends them. Input: one byte for
 * the store network ('0' mainnet, '1' testnet, '2' signet, '3' regtest: the
 * low two bits), then the destination. */
#include "dest.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        enum dest_network net = (enum dest_network)(data[0] & 3);
        char *s = fuzz_text(data + 1, size - 1);
        struct dest d;
        char err[160] = "";
        if (dest_parse(s, net, &d, err, sizeof(err)) == 0) {
                FUZZ_ASSERT(strlen(s) <= DEST_MAX_LEN && s[0] != '\0');
                FUZZ_ASSERT(strcmp(dest_type_name(d.type), "unknown") != 0);
                FUZZ_ASSERT(fuzz_hex64_or_empty(d.payment_hash));
                if (d.type == DEST_BOLT11) {
                        FUZZ_ASSERT(d.payment_hash[0] != '\0');
                        FUZZ_ASSERT(d.expires_at >= d.created_at && d.created_at >= 0);
                        FUZZ_ASSERT(!d.has_amount || (d.amount_msat >= 1 &&
                                                      d.amount_msat <= AMOUNT_MAX_SATS * 1000));
                }
        } else {
                FUZZ_ASSERT(err[0] != '\0' && strlen(err) < sizeof(err));
        }
        free(s);
        return 0;
}
