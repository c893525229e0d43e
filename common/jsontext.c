#include "jsontext.h"

#include <string.h>

/* Every scan below stops at len: the text may be any bytes (a request body,
 * a backend's answer), may hold NULs and need not be NUL terminated. */

static int
json_is_ws(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static size_t
json_skip_ws(const char *text, size_t len, size_t i)
{
        while (i < len && json_is_ws(text[i]))
                i++;
        return i;
}

/* i is just past an opening quote: returns the index of the closing quote,
 * or len when the string is not closed within the text. A backslash escapes
 * the next byte, if there is one. */
static size_t
json_string_close(const char *text, size_t len, size_t i)
{
        while (i < len) {
                const char *q = memchr(text + i, '"', len - i);
                if (q == NULL)
                        return len;
                size_t at = (size_t)(q - text);
                size_t bs = 0;
                while (at - bs > i && text[at - bs - 1] == '\\')
                        bs++;
                if (bs % 2 == 0)
                        return at;
                i = at + 1;
        }
        return len;
}

size_t
jsontext_value_len(const char *p, size_t n)
{
        int depth = 0;
        for (size_t i = 0; i < n; i++) {
                char ch = p[i];
                if (ch == '"') {
                        i = json_string_close(p, n, i + 1);
                        if (i >= n)
                                return n;
                        if (depth == 0)
                                return i + 1;
                } else if (ch == '{' || ch == '[') {
                        depth++;
                } else if (ch == '}' || ch == ']') {
                        if (depth == 0)
                                return i;
                        if (--depth == 0)
                                return i + 1;
                } else if (depth == 0 && (ch == ',' || json_is_ws(ch))) {
                        return i;
                }
        }
        return n;
}

int
jsontext_raw_member(const char *text, size_t len, const char *key, size_t *off, size_t *vlen)
{
        size_t klen = strlen(key), i = 0;
        int depth = 0;
        while (i < len) {
                char ch = text[i];
                if (ch == '"') {
                        size_t start = i + 1;
                        size_t close = json_string_close(text, len, start);
                        if (close >= len)
                                return -1;
                        size_t j = json_skip_ws(text, len, close + 1);
                        if (depth == 1 && j < len && text[j] == ':') {
                                j = json_skip_ws(text, len, j + 1);
                                if (close - start == klen && memcmp(text + start, key, klen) == 0) {
                                        size_t n = jsontext_value_len(text + j, len - j);
                                        if (n == 0)
                                                return -1;
                                        *off = j;
                                        *vlen = n;
                                        return 0;
                                }
                        }
                        i = close + 1;
                        continue;
                }
                if (ch == '{' || ch == '[')
                        depth++;
                else if (ch == '}' || ch == ']')
                        depth--;
                i++;
        }
        return -1;
}

int
jsontext_raw_element(const char *arr, size_t len, int idx, size_t *off, size_t *elen)
{
        size_t i = 1;
        if (len == 0 || arr[0] != '[' || idx < 0)
                return -1;
        for (int k = 0;; k++) {
                i = json_skip_ws(arr, len, i);
                if (i >= len || arr[i] == ']')
                        return -1;
                size_t vl = jsontext_value_len(arr + i, len - i);
                if (vl == 0)
                        return -1;
                if (k == idx) {
                        *off = i;
                        *elen = vl;
                        return 0;
                }
                i = json_skip_ws(arr, len, i + vl);
                if (i >= len || arr[i] != ',')
                        return -1;
                i++;
        }
}

long
jsontext_max_exponent(const char *text, size_t len)
{
        long max = 0;
        for (size_t i = 0; i < len; i++) {
                char ch = text[i];
                if (ch == '"') {
                        i = json_string_close(text, len, i + 1);
                        continue;
                }
                /* An exponent follows a digit; the e of true and false does not. */
                if ((ch != 'e' && ch != 'E') || i == 0 || text[i - 1] < '0' || text[i - 1] > '9')
                        continue;
                size_t j = i + 1;
                if (j < len && (text[j] == '+' || text[j] == '-'))
                        j++;
                long e = 0;
                for (; j < len && text[j] >= '0' && text[j] <= '9'; j++)
                        if (e < JSON_EXPONENT_CAP)
                                e = e * 10 + (text[j] - '0');
                if (e > JSON_EXPONENT_CAP)
                        e = JSON_EXPONENT_CAP;
                if (e > max)
                        max = e;
                i = j - 1;
        }
        return max;
}
