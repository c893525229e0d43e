#include "ids.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* Crockford base32 without I, L, O, U: no ambiguous characters in ids that
 * operators read aloud or copy by hand. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

#define ID_BODY 26

static int
id_encode(char out[ID_MAX], const char *prefix, const uint8_t raw[16])
{
        size_t plen = strlen(prefix);
        if (plen + ID_BODY + 1 > ID_MAX)
                return -1;
        memcpy(out, prefix, plen);
        /* 128 bits read 5 at a time: 26 characters, the last holding 3 bits. */
        unsigned acc = 0;
        int bits = 0;
        size_t n = plen, i = 0;
        while (n < plen + ID_BODY) {
                if (bits < 5 && i < 16) {
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
ids_new(char out[ID_MAX], const char *prefix)
{
        uint8_t raw[16];
        randombytes_buf(raw, sizeof(raw));
        return id_encode(out, prefix, raw);
}

static uint64_t
id_splitmix64(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

int
ids_new_fast(char out[ID_MAX], const char *prefix)
{
        static _Thread_local uint64_t seed[2], counter;
        static _Thread_local int seeded;
        if (!seeded) {
                randombytes_buf(seed, sizeof(seed));
                seeded = 1;
        }
        /* splitmix64 is a bijection: distinct counters give distinct ids within a
         * thread, and the random seeds keep threads and restarts apart. */
        counter++;
        uint64_t a = id_splitmix64(seed[0] + counter), b = id_splitmix64(seed[1] ^ counter);
        uint8_t raw[16];
        memcpy(raw, &a, 8);
        memcpy(raw + 8, &b, 8);
        return id_encode(out, prefix, raw);
}

int
ids_valid(const char *s, const char *prefix)
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
