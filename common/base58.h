/* Base58 and base58check (Bitcoin's legacy P2PKH/P2SH address encoding).
 * Pure functions; the checksum uses libsodium's SHA-256. */
#ifndef QPAYD_BASE58_H
#define QPAYD_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Longest string accepted: far above any address (34) or WIF key (52), and a
 * bound on the quadratic conversion. */
#define BASE58_MAX_LEN 128

/* Decodes s[0..len) into big-endian bytes, one zero byte per leading '1'.
 * Returns 0, or -1 on a character outside the alphabet, on len 0 or above
 * BASE58_MAX_LEN, or when out is too small. */
int base58_decode(const char *s, size_t len, uint8_t *out, size_t outsz, size_t *outlen);

/* Decodes and checks the trailing 4 bytes against the first 4 bytes of
 * SHA-256(SHA-256(payload)). payload receives everything before the checksum
 * (version byte first). Returns 0, or -1 with *err. */
int base58_check_decode(const char *s, size_t len, uint8_t *payload, size_t payloadsz,
                        size_t *payloadlen, const char **err);

#endif
