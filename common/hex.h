/* Hexadecimal digits: one digit's value, and the 64-digit strings of hashes,
 * preimages and txids. */
#ifndef QPAYD_HEX_H
#define QPAYD_HEX_H

static inline int
hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* True when s is exactly 64 hex digits (either case). */
static inline int
hex_is64(const char *s)
{
        if (s == NULL)
                return 0;
        for (int i = 0; i < 64; i++)
                if (hex_digit(s[i]) < 0)
                        return 0;
        return s[64] == '\0';
}

/* Copies a 64-hex string into dst (65 bytes) in lowercase. Returns 0, or -1
 * (dst "") when s is not 64 hex digits. */
static inline int
hex_copy64(char dst[65], const char *s)
{
        dst[0] = '\0';
        if (!hex_is64(s))
                return -1;
        for (int i = 0; i < 64; i++)
                dst[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
        dst[64] = '\0';
        return 0;
}

#endif
