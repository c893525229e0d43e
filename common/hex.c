#include "hex.h"

#include <stddef.h>

int
hex_is64(const char *s)
{
        if (s == NULL)
                return 0;
        for (int i = 0; i < 64; i++)
                if (hex_digit(s[i]) < 0)
                        return 0;
        return s[64] == '\0';
}

int
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
