#include "ids.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* Crockford base32 without I, L, O, U: no ambiguous characters in ids that
 * operators read aloud or copy by hand. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

#define ID_BODY 26

int
id_new(char out[ID_MAX], const char *prefix)
{
        size_t plen = strlen(prefix);
        if (plen + ID_BODY + 1 > ID_MAX)
                return -1;
        uint8_t raw[16];
        randombytes_buf(raw, sizeof(raw));
        memcpy(out, prefix, plen);
        /* 128 bits read 5 at a time: 26 characters, the last holding 3 bits. */
        unsigned acc = 0;
        int bits = 0;
        size_t n = plen, i = 0;
        while (n < plen + ID_BODY) {
                if (bits < 5 && i < sizeof(raw)) {
                        acc = (acc << 8) | raw[i++];
                        bits += 8;
                }
                if (bits >= 5) {
                        out[n++] = id_alphabet[(acc >> (bits - 5)) & 31];
                        bits -= 5;
                } else {
                        out[n++] = id_alphabet[(acc << (5 - bits)) & 31];
                        bits = 0;
                }
        }
        out[n] = '\0';
        return 0;
}

int
id_valid(const char *s, const char *prefix)
{
        size_t plen = strlen(prefix);
        if (strncmp(s, prefix, plen) != 0)
                return 0;
        s += plen;
        size_t n = 0;
        for (; s[n]; n++) {
                if (n >= ID_BODY || strchr(id_alphabet, s[n]) == NULL)
                        return 0;
        }
        return n == ID_BODY;
}
