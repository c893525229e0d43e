#include "render.h"

#include <string.h>

/* i is just past an opening quote: returns the index just past the closing
 * quote, or len when the string is not closed. Whole runs up to the next
 * quote are found with memchr; a quote preceded by an odd number of
 * backslashes is escaped. The backslashes counted lie between this quote and
 * the previous one, so the scan stays linear. */
static size_t
render_string_end(const char *src, size_t len, size_t i)
{
        size_t from = i;
        while (i < len) {
                const char *q = memchr(src + i, '"', len - i);
                if (q == NULL)
                        return len;
                size_t at = (size_t)(q - src);
                size_t bs = 0;
                while (at - bs > from && src[at - bs - 1] == '\\')
                        bs++;
                if (bs % 2 == 0)
                        return at + 1;
                i = at + 1;
                from = i;
        }
        return len;
}

size_t
render_json_compact(char *dst, const char *src, size_t len)
{
        size_t i = 0, k = 0;
        while (i < len) {
                char ch = src[i];
                if (ch == '"') {
                        size_t end = render_string_end(src, len, i + 1);
                        /* memmove: dst may be src, k <= i. */
                        memmove(dst + k, src + i, end - i);
                        k += end - i;
                        i = end;
                        continue;
                }
                if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t')
                        dst[k++] = ch;
                i++;
        }
        return k;
}
