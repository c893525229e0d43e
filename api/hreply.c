#include "hreply.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

const char *
hreply_reason(int status)
{
        switch (status) {
        case 100:
                return "Continue";
        case 200:
                return "OK";
        case 201:
                return "Created";
        case 202:
                return "Accepted";
        case 204:
                return "No Content";
        case 301:
                return "Moved Permanently";
        case 302:
                return "Found";
        case 303:
                return "See Other";
        case 304:
                return "Not Modified";
        case 307:
                return "Temporary Redirect";
        case 308:
                return "Permanent Redirect";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 406:
                return "Not Acceptable";
        case 408:
                return "Request Timeout";
        case 409:
                return "Conflict";
        case 410:
                return "Gone";
        case 411:
                return "Length Required";
        case 413:
                return "Content Too Large";
        case 414:
                return "URI Too Long";
        case 415:
                return "Unsupported Media Type";
        case 417:
                return "Expectation Failed";
        case 422:
                return "Unprocessable Content";
        case 429:
                return "Too Many Requests";
        case 431:
                return "Request Header Fields Too Large";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 502:
                return "Bad Gateway";
        case 503:
                return "Service Unavailable";
        case 504:
                return "Gateway Timeout";
        case 505:
                return "HTTP Version Not Supported";
        }
        return "Unknown";
}

/* The IMF-fixdate of this second (RFC 9110 5.6.7), formatted once a second
 * per thread. */
static const char *
hreply_date(void)
{
        static _Thread_local time_t sec = -1;
        static _Thread_local char date[32];
        time_t now = time(NULL);
        if (now != sec) {
                static const char days[] = "SunMonTueWedThuFriSat";
                static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
                struct tm tm;
                gmtime_r(&now, &tm);
                char *p = date;
                memcpy(p, days + 3 * tm.tm_wday, 3);
                p += 3;
                *p++ = ',';
                *p++ = ' ';
                *p++ = (char)('0' + tm.tm_mday / 10);
                *p++ = (char)('0' + tm.tm_mday % 10);
                *p++ = ' ';
                memcpy(p, months + 3 * tm.tm_mon, 3);
                p += 3;
                *p++ = ' ';
                int y = tm.tm_year + 1900;
                for (int d = 1000; d > 0; d /= 10)
                        *p++ = (char)('0' + y / d % 10);
                *p++ = ' ';
                int hms[3] = {tm.tm_hour, tm.tm_min, tm.tm_sec};
                for (int i = 0; i < 3; i++) {
                        *p++ = (char)('0' + hms[i] / 10);
                        *p++ = (char)('0' + hms[i] % 10);
                        *p++ = i < 2 ? ':' : ' ';
                }
                memcpy(p, "GMT", 4);
                sec = now;
        }
        return date;
}

struct hreply_out {
        char *p, *end;
        int full;
};

static void
hreply_put(struct hreply_out *o, const char *s, size_t n)
{
        if ((size_t)(o->end - o->p) < n) {
                o->full = 1;
                return;
        }
        memcpy(o->p, s, n);
        o->p += n;
}

static void
hreply_puts(struct hreply_out *o, const char *s)
{
        hreply_put(o, s, strlen(s));
}

static void
hreply_u64(struct hreply_out *o, uint64_t v)
{
        char d[24];
        size_t i = sizeof(d);
        do
                d[--i] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        hreply_put(o, d + i, sizeof(d) - i);
}

size_t
hreply_head(char *buf, size_t size, int status, const struct hreply_fields *f,
            size_t content_length, int flags)
{
        /* The server's own lines take under 200 bytes: the fields get the
         * rest, and one that does not fit is left out whole. */
        enum { OWN = 200 };
        struct hreply_out o = {buf, buf + size - OWN, 0};
        hreply_put(&o, "HTTP/1.1 ", 9);
        hreply_u64(&o, (uint64_t)(status >= 100 && status <= 999 ? status : 500));
        hreply_put(&o, " ", 1);
        hreply_puts(&o, hreply_reason(status));
        hreply_put(&o, "\r\nDate: ", 8);
        hreply_put(&o, hreply_date(), 29);
        hreply_put(&o, "\r\n", 2);
        for (int i = 0; f != NULL && i < f->n; i++) {
                char *mark = o.p;
                o.full = 0;
                hreply_puts(&o, f->name[i]);
                hreply_put(&o, ": ", 2);
                hreply_puts(&o, f->value[i]);
                hreply_put(&o, "\r\n", 2);
                if (o.full)
                        o.p = mark;
        }
        o.end = buf + size;
        if (flags & HREPLY_CHUNKED) {
                hreply_puts(&o, "Transfer-Encoding: chunked\r\n");
        } else if (!(flags & HREPLY_NO_LENGTH)) {
                hreply_put(&o, "Content-Length: ", 16);
                hreply_u64(&o, content_length);
                hreply_put(&o, "\r\n", 2);
        }
        if (flags & HREPLY_CLOSE)
                hreply_puts(&o, "Connection: close\r\n");
        else if (flags & HREPLY_KEEP_ALIVE)
                hreply_puts(&o, "Connection: keep-alive\r\n");
        hreply_put(&o, "\r\n", 2);
        return (size_t)(o.p - buf);
}
