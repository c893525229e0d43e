#include "base58.h"

#include <sodium.h>
#include <string.h>

static const char base58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int
base58_decode(const char *s, size_t len, uint8_t *out, size_t outsz, size_t *outlen)
{
        if (len == 0 || len > BASE58_MAX_LEN)
                return -1;
        /* log(58)/log(256) < 0.733: enough room for the big-endian number. */
        uint8_t num[BASE58_MAX_LEN * 733 / 1000 + 1];
        size_t numlen = sizeof(num);
        memset(num, 0, sizeof(num));
        size_t zeros = 0;
        while (zeros < len && s[zeros] == '1')
                zeros++;
        for (size_t i = 0; i < len; i++) {
                const char *p = s[i] ? strchr(base58_alphabet, s[i]) : NULL;
                if (p == NULL)
                        return -1;
                uint32_t carry = (uint32_t)(p - base58_alphabet);
                for (size_t j = numlen; j-- > 0;) {
                        carry += 58u * num[j];
                        num[j] = (uint8_t)carry;
                        carry >>= 8;
                }
                if (carry != 0)
                        return -1; /* cannot happen with the bound above */
        }
        size_t skip = 0;
        while (skip < numlen && num[skip] == 0)
                skip++;
        size_t n = zeros + (numlen - skip);
        if (n > outsz)
                return -1;
        memset(out, 0, zeros);
        memcpy(out + zeros, num + skip, numlen - skip);
        *outlen = n;
        return 0;
}

int
base58_check_decode(const char *s, size_t len, uint8_t *payload, size_t payloadsz,
                    size_t *payloadlen, const char **err)
{
        uint8_t raw[BASE58_MAX_LEN];
        size_t n;
        if (len > BASE58_MAX_LEN) {
                *err = "too long for a base58 address";
                return -1;
        }
        if (base58_decode(s, len, raw, sizeof(raw), &n) < 0) {
                *err = "invalid base58 character";
                return -1;
        }
        if (n < 5) {
                *err = "base58 string too short";
                return -1;
        }
        uint8_t h1[crypto_hash_sha256_BYTES], h2[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h1, raw, n - 4);
        crypto_hash_sha256(h2, h1, sizeof(h1));
        if (sodium_memcmp(h2, raw + n - 4, 4) != 0) {
                *err = "base58check checksum mismatch";
                return -1;
        }
        if (n - 4 > payloadsz) {
                *err = "base58 payload too long";
                return -1;
        }
        memcpy(payload, raw, n - 4);
        *payloadlen = n - 4;
        return 0;
}
