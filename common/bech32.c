#include "bech32.h"

#include <string.h>

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* The constants the checksum must leave behind (BIP173, BIP350). */
#define BECH32_CONST  1u
#define BECH32M_CONST 0x2bc830a3u

static uint32_t
bech32_polymod_step(uint32_t pre)
{
        uint32_t b = pre >> 25;
        return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2u) ^
               (-((b >> 1) & 1) & 0x26508e6du) ^ (-((b >> 2) & 1) & 0x1ea119fau) ^
               (-((b >> 3) & 1) & 0x3d4233ddu) ^ (-((b >> 4) & 1) & 0x2a1462b3u);
}

int
bech32_char_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
        const char *p = c ? strchr(bech32_charset, c) : NULL;
        return p ? (int)(p - bech32_charset) : -1;
}

int
bech32_decode(const char *s, size_t len, size_t max_len, char *hrp, size_t hrpsz, uint8_t *data,
              size_t datasz, size_t *datalen, enum bech32_encoding *enc, const char **err)
{
        if (max_len && len > max_len) {
                *err = "too long for a bech32 address (more than 90 characters)";
                return -1;
        }
        int lower = 0, upper = 0;
        size_t sep = len; /* the last '1': the HRP itself may contain '1' */
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 33 || c > 126) {
                        *err = "invalid character in bech32 string";
                        return -1;
                }
                if (c >= 'a' && c <= 'z')
                        lower = 1;
                if (c >= 'A' && c <= 'Z')
                        upper = 1;
                if (c == '1')
                        sep = i;
        }
        if (lower && upper) {
                *err = "bech32 string mixes upper and lower case";
                return -1;
        }
        if (sep == len) {
                *err = "bech32 separator '1' missing";
                return -1;
        }
        if (sep == 0) {
                *err = "bech32 human-readable part is empty";
                return -1;
        }
        if (sep >= hrpsz) {
                *err = "bech32 human-readable part too long";
                return -1;
        }
        if (len - sep - 1 < 6) {
                *err = "bech32 checksum too short";
                return -1;
        }
        size_t ndata = len - sep - 1 - 6;
        if (ndata > datasz) {
                *err = "bech32 data too long";
                return -1;
        }
        uint32_t chk = 1;
        for (size_t i = 0; i < sep; i++) {
                char c = s[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                hrp[i] = c;
                chk = bech32_polymod_step(chk) ^ ((unsigned char)c >> 5);
        }
        hrp[sep] = '\0';
        chk = bech32_polymod_step(chk);
        for (size_t i = 0; i < sep; i++)
                chk = bech32_polymod_step(chk) ^ ((unsigned char)hrp[i] & 31);
        for (size_t i = sep + 1; i < len; i++) {
                int v = bech32_char_value(s[i]);
                if (v < 0) {
                        *err = "invalid bech32 data character";
                        return -1;
                }
                chk = bech32_polymod_step(chk) ^ (uint32_t)v;
                if (i - sep - 1 < ndata)
                        data[i - sep - 1] = (uint8_t)v;
        }
        if (chk == BECH32_CONST) {
                *enc = BECH32_ENC_BECH32;
        } else if (chk == BECH32M_CONST) {
                *enc = BECH32_ENC_BECH32M;
        } else {
                *err = "bech32 checksum mismatch";
                return -1;
        }
        *datalen = ndata;
        return 0;
}

int
bech32_5to8(const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz, size_t *outlen)
{
        uint32_t acc = 0;
        int bits = 0;
        size_t n = 0;
        for (size_t i = 0; i < inlen; i++) {
                if (in[i] > 31)
                        return -1;
                acc = ((acc << 5) | in[i]) & 0xfff;
                bits += 5;
                if (bits >= 8) {
                        bits -= 8;
                        if (n >= outsz)
                                return -1;
                        out[n++] = (uint8_t)(acc >> bits);
                }
        }
        if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
                return -1;
        *outlen = n;
        return 0;
}

int
bech32_segwit_decode(const char *s, size_t len, char *hrp, size_t hrpsz, int *version,
                     uint8_t prog[40], size_t *proglen, const char **err)
{
        uint8_t data[BECH32_ADDRESS_MAX];
        size_t ndata;
        enum bech32_encoding enc;
        if (bech32_decode(s, len, BECH32_ADDRESS_MAX, hrp, hrpsz, data, sizeof(data), &ndata, &enc,
                          err) < 0)
                return -1;
        if (ndata < 1) {
                *err = "segwit address has no data";
                return -1;
        }
        if (data[0] > 16) {
                *err = "invalid segwit witness version";
                return -1;
        }
        if (bech32_5to8(data + 1, ndata - 1, prog, 40, proglen) < 0) {
                *err = "invalid segwit program (bad length or non-zero padding)";
                return -1;
        }
        if (*proglen < 2 || *proglen > 40) {
                *err = "segwit program must be 2 to 40 bytes";
                return -1;
        }
        if (data[0] == 0 && *proglen != 20 && *proglen != 32) {
                *err = "segwit v0 program must be 20 or 32 bytes";
                return -1;
        }
        if (data[0] == 0 && enc != BECH32_ENC_BECH32) {
                *err = "segwit v0 address must use bech32, not bech32m";
                return -1;
        }
        if (data[0] != 0 && enc != BECH32_ENC_BECH32M) {
                *err = "segwit v1+ address must use bech32m, not bech32";
                return -1;
        }
        *version = data[0];
        return 0;
}

int
bech32_encode_bytes(const char *hrp, const uint8_t *bytes, size_t n, int upper, char *out,
                    size_t outsz)
{
        size_t hlen = strlen(hrp);
        size_t n5 = (n * 8 + 4) / 5;
        if (hlen == 0 || outsz < hlen + 1 + n5 + 6 + 1)
                return -1;
        uint32_t chk = 1;
        for (size_t i = 0; i < hlen; i++)
                chk = bech32_polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
        chk = bech32_polymod_step(chk);
        for (size_t i = 0; i < hlen; i++)
                chk = bech32_polymod_step(chk) ^ ((unsigned char)hrp[i] & 31);
        char *o = out;
        for (size_t i = 0; i < hlen; i++)
                *o++ = hrp[i];
        *o++ = '1';
        /* 8-to-5 regrouping, the last group padded with zero bits. */
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n) {
                        acc = (acc << 8) | bytes[i];
                        bits += 8;
                } else if (bits > 0) {
                        acc <<= 5 - bits;
                        bits = 5;
                }
                while (bits >= 5) {
                        bits -= 5;
                        uint32_t v = (acc >> bits) & 31;
                        chk = bech32_polymod_step(chk) ^ v;
                        *o++ = bech32_charset[v];
                }
        }
        for (int i = 0; i < 6; i++)
                chk = bech32_polymod_step(chk);
        chk ^= BECH32_CONST;
        for (int i = 0; i < 6; i++)
                *o++ = bech32_charset[(chk >> (5 * (5 - i))) & 31];
        *o = '\0';
        if (upper)
                for (char *p = out; *p; p++)
                        if (*p >= 'a' && *p <= 'z')
                                *p = (char)(*p - 'a' + 'A');
        return 0;
}
