#include "jsontext.h"

#include <string.h>

int
json_depth(const char *text, size_t len)
{
        int depth = 0, max = 0, in_str = 0;
        for (size_t i = 0; i < len; i++) {
                char ch = text[i];
                if (in_str) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"')
                                in_str = 0;
                } else if (ch == '"') {
                        in_str = 1;
                } else if (ch == '{' || ch == '[') {
                        if (++depth > max)
                                max = depth;
                } else if (ch == '}' || ch == ']') {
                        depth--;
                }
        }
        return max;
}

/* Length of the JSON value starting at p (well-formed: cJSON parsed it). */
size_t
json_value_len(const char *p, size_t n)
{
        size_t i = 0;
        int depth = 0, in_str = 0;
        for (; i < n; i++) {
                char ch = p[i];
                if (in_str) {
                        if (ch == '\\')
                                i++;
                        else if (ch == '"' && (in_str = 0, depth == 0))
                                return i + 1;
                } else if (ch == '"') {
                        in_str = 1;
                } else if (ch == '{' || ch == '[') {
                        depth++;
                } else if (ch == '}' || ch == ']') {
                        if (depth == 0)
                                return i;
                        if (--depth == 0)
                                return i + 1;
                } else if (depth == 0 &&
                           (ch == ',' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
                        return i;
                }
        }
        return i;
}

int
json_raw_member(const char *text, size_t len, const char *key, size_t *off, size_t *vlen)
{
        size_t klen = strlen(key), i = 0;
        int depth = 0;
        while (i < len) {
                char ch = text[i];
                if (ch == '"') {
                        size_t start = ++i;
                        while (i < len && text[i] != '"')
                                i += text[i] == '\\' ? 2 : 1;
                        size_t slen = i - start;
                        i++;
                        size_t j = i + strspn(text + i, " \t\r\n");
                        if (depth == 1 && j < len && text[j] == ':') {
                                j++;
                                j += strspn(text + j, " \t\r\n");
                                if (slen == klen && memcmp(text + start, key, klen) == 0) {
                                        *off = j;
                                        *vlen = json_value_len(text + j, len - j);
                                        return 0;
                                }
                        }
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
json_raw_element(const char *arr, size_t len, int idx, size_t *off, size_t *elen)
{
        static const char ws[] = " \t\r\n";
        size_t i = 1;
        if (len == 0 || arr[0] != '[')
                return -1;
        for (int k = 0;; k++) {
                while (i < len && arr[i] != '\0' && strchr(ws, arr[i]) != NULL)
                        i++;
                if (i >= len || arr[i] == ']')
                        return -1;
                size_t vl = json_value_len(arr + i, len - i);
                if (k == idx) {
                        *off = i;
                        *elen = vl;
                        return 0;
                }
                i += vl;
                while (i < len && arr[i] != '\0' && strchr(ws, arr[i]) != NULL)
                        i++;
                if (i >= len || arr[i] != ',')
                        return -1;
                i++;
        }
}
