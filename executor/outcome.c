#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

#include <sodium.h>

void
outcome_result_init(struct payout_result *r)
{
        memset(r, 0, sizeof(*r));
        r->outcome = OUTCOME_UNKNOWN;
        r->fee_sats = -1;
}

enum outcome
outcome_set(struct payout_result *r, enum outcome o, const char *fmt, ...)
{
        va_list ap;
        r->outcome = o;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
        va_end(ap);
        return o;
}

enum outcome
outcome_not_lookable(struct payout_result *r, const char *backend, const char *destination_type)
{
        return outcome_set(r, OUTCOME_UNKNOWN,
                           "a %s through %s cannot be looked up automatically: check the "
                           "backend by hand, then finalize it (API) or fail it here "
                           "(docs/executor.md)",
                           destination_type, backend);
}

const char *
outcome_name(enum outcome o)
{
        switch (o) {
        case OUTCOME_SUCCEEDED:
                return "succeeded";
        case OUTCOME_FAILED:
                return "failed";
        case OUTCOME_DEFERRED:
                return "deferred";
        case OUTCOME_UNKNOWN:
                return "unknown";
        case OUTCOME_NOT_FOUND:
                return "not_found";
        }
        return "invalid";
}

static void
outcome_hex_decode32(const char *hex, unsigned char out[32])
{
        for (int i = 0; i < 32; i++)
                out[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
}

int
outcome_preimage_matches(const char *preimage_hex, const char *payment_hash_hex)
{
        unsigned char pre[32], hash[32], got[crypto_hash_sha256_BYTES];
        if (!hex_is64(preimage_hex) || !hex_is64(payment_hash_hex))
                return 0;
        outcome_hex_decode32(preimage_hex, pre);
        outcome_hex_decode32(payment_hash_hex, hash);
        crypto_hash_sha256(got, pre, sizeof(pre));
        return memcmp(got, hash, sizeof(hash)) == 0;
}

int
outcome_contains(const char *haystack, const char *needle)
{
        size_t n = strlen(needle);
        if (haystack == NULL)
                return 0;
        for (const char *p = haystack; *p != '\0'; p++)
                if (strncasecmp(p, needle, n) == 0)
                        return 1;
        return 0;
}
