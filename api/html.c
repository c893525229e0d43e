#include "html.h"

#include <stdlib.h>
#include <string.h>

int
html_escape(struct evbuffer *b, const char *s)
{
        const char *run = s;
        for (const char *p = s;; p++) {
                const char *rep = NULL;
                switch (*p) {
                case '&':
                        rep = "&amp;";
                        break;
                case '<':
                        rep = "&lt;";
                        break;
                case '>':
                        rep = "&gt;";
                        break;
                case '"':
                        rep = "&quot;";
                        break;
                case '\'':
                        rep = "&#39;";
                        break;
                case '\0':
                        break;
                default:
                        if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
                                rep = "\xef\xbf\xbd";
                        break;
                }
                if (rep == NULL && *p != '\0')
                        continue;
                if (p > run && evbuffer_add(b, run, (size_t)(p - run)) != 0)
                        return -1;
                if (*p == '\0')
                        return 0;
                if (evbuffer_add(b, rep, strlen(rep)) != 0)
                        return -1;
                run = p + 1;
        }
}

char *
html_escape_new(const char *s)
{
        struct evbuffer *b = evbuffer_new();
        if (b == NULL)
                return NULL;
        char *out = NULL;
        size_t n;
        if (html_escape(b, s) == 0 && evbuffer_add(b, "", 1) == 0) {
                n = evbuffer_get_length(b);
                out = malloc(n);
                if (out != NULL)
                        evbuffer_remove(b, out, n);
        }
        evbuffer_free(b);
        return out;
}
