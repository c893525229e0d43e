#include "hook_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

int
hook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t size)
{
        char ts[24];
        int n = snprintf(ts, sizeof(ts), "%" PRId64 ".", t);
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
        crypto_auth_hmacsha256_state st;
        if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) != 0 ||
            crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)n) != 0 ||
            crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len) != 0 ||
            crypto_auth_hmacsha256_final(&st, mac) != 0) {
                sodium_memzero(&st, sizeof(st));
                return -1;
        }
        sodium_memzero(&st, sizeof(st));
        sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
        int w = snprintf(out, size, "t=%" PRId64 ",v1=%s", t, hex);
        return w < 0 || (size_t)w >= size ? -1 : 0;
}
