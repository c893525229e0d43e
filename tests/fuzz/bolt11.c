/* BOLT #11 decoding (common/bolt11.c) on bytes that are not NUL-terminated,
 * as dest_parse hands it a part of a string; and the secp256k1 shape checks
 * on the first 33 and 65 bytes. */
#include "bolt11.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct bolt11 b;
        char err[160] = "";
        if (bolt11_decode((const char *)data, size, &b, err, sizeof(err)) == 0) {
                FUZZ_ASSERT(b.network >= DEST_NET_MAINNET && b.network <= DEST_NET_REGTEST);
                FUZZ_ASSERT(!b.has_amount ||
                            (b.amount_msat >= 1 && b.amount_msat <= AMOUNT_MAX_SATS * 1000));
                FUZZ_ASSERT(b.timestamp >= 0 && b.expiry >= 0);
        } else {
                FUZZ_ASSERT(err[0] != '\0' && strlen(err) < sizeof(err));
        }
        if (size >= 33)
                (void)bolt11_point_valid(data);
        if (size >= 65)
                (void)bolt11_signature_plausible(data);
        return 0;
}
