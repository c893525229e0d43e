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
int hex_is64(const char *s);

/* Copies a 64-hex string into dst (65 bytes) in lowercase. Returns 0, or -1
 * (dst "") when s is not 64 hex digits. */
int hex_copy64(char dst[65], const char *s);

#endif
