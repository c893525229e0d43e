/* Bech32 (BIP173) and bech32m (BIP350) decoding, 5-to-8 bit regrouping and
 * segwit addresses. Pure functions: no allocation, no global state. Errors are
 * static strings, so callers can put them in their own messages. */
#ifndef QPAYD_BECH32_H
#define QPAYD_BECH32_H

#include <stddef.h>
#include <stdint.h>

enum bech32_encoding { BECH32_ENC_BECH32 = 1, BECH32_ENC_BECH32M = 2 };

/* BIP173 limit for addresses; BOLT11 invoices and LNURLs have none. */
#define BECH32_ADDRESS_MAX 90

/* Value 0..31 of a data character, either case, or -1. */
int bech32_char_value(char c);

/* Decodes s[0..len) (no NUL needed). max_len limits the whole string; 0 means
 * no limit. hrp receives the lowercased human-readable part (NUL terminated),
 * data the 5-bit values between the separator and the 6 checksum values.
 * Mixed case, characters outside 33..126, an empty HRP, a missing separator
 * and any checksum that is neither bech32 nor bech32m are refused.
 * Returns 0 with *enc set, or -1 with *err. */
int bech32_decode(const char *s, size_t len, size_t max_len, char *hrp, size_t hrpsz, uint8_t *data,
                  size_t datasz, size_t *datalen, enum bech32_encoding *enc, const char **err);

/* Regroups 5-bit values into bytes. Fails (-1) when the output does not fit,
 * when 5 or more bits are left over, or when the leftover bits are not zero:
 * a writer pads with zeros and never adds a whole spare character. */
int bech32_5to8(const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz, size_t *outlen);

/* Decodes a segwit address (BIP173/BIP350): at most 90 characters, witness
 * version 0..16, program 2..40 bytes (20 or 32 for v0), bech32 for v0 and
 * bech32m for v1+. hrp is returned lowercased and is not checked here: the
 * caller maps it to a network. Returns 0, or -1 with *err. */
int bech32_segwit_decode(const char *s, size_t len, char *hrp, size_t hrpsz, int *version,
                         uint8_t prog[40], size_t *proglen, const char **err);

/* Encodes bytes as bech32 (BIP173 checksum, no length limit: LNURL, LUD-01)
 * with hrp (lowercase) into out, uppercase when upper (for QR codes).
 * Returns 0, or -1 when out (outsz bytes) is too small or hrp empty. */
int bech32_encode_bytes(const char *hrp, const uint8_t *bytes, size_t n, int upper, char *out,
                        size_t outsz);

#endif
