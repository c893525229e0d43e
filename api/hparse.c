/* In-place HTTP/1.1 request heads and chunked bodies (api/hparse.h).
 * One pass over the bytes with table-driven character classes: this runs on
 * every request, so it neither allocates nor copies (the only copy is the
 * memmove that joins a chunked body's pieces). */
#include "hparse.h"

#include <string.h>

enum {
        HPARSE_MAX_EMPTY = 8,     /* empty lines allowed before the request line */
        HPARSE_MAX_METHOD = 16,   /* bytes of a method */
        HPARSE_MAX_DIGITS = 18,   /* digits of a Content-Length: fits int64_t */
        HPARSE_MAX_HEX = 15,      /* hex digits of a chunk size: fits uint64_t */
        HPARSE_MAX_EXTRA = 16384, /* bytes of chunk-size lines and trailers */
};

/* Character classes, one bit each (hparse_class). */
#define HP_T 1  /* tchar (RFC 9110 5.6.2) */
#define HP_V 2  /* VCHAR 0x21-0x7e: a target's bytes */
#define HP_F 4  /* a field value's bytes: HTAB, SP, VCHAR, obs-text */
#define HP_S 8  /* '?' or '#': where a target's path ends */
#define HP_X 16 /* a hex digit */

/* One row per 16 bytes, 0x00 to 0xff. */
/* clang-format off */
static const unsigned char hparse_class[256] = {
         0,  0,  0,  0,  0,  0,  0,  0,  0,  4,  0,  0,  0,  0,  0,  0,
         0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
         4,  7,  6, 15,  7,  7,  7,  7,  6,  6,  7,  7,  6,  7,  7,  6,
        23, 23, 23, 23, 23, 23, 23, 23, 23, 23,  6,  6,  6,  6,  6, 14,
         6, 23, 23, 23, 23, 23, 23,  7,  7,  7,  7,  7,  7,  7,  7,  7,
         7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  6,  6,  7,  7,
         7, 23, 23, 23, 23, 23, 23,  7,  7,  7,  7,  7,  7,  7,  7,  7,
         7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  7,  6,  7,  0,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
         4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
};
static const unsigned char hparse_lower[256] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
        0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
        0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
        0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
        0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
        0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
        0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
        0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
        0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
        0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
        0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};
/* clang-format on */

#define HP_IS(c, bits) ((hparse_class[(unsigned char)(c)] & (bits)) != 0)
#define HP_BLANK(c)    ((c) == ' ' || (c) == '\t')

static int
hparse_fail(const char **why, int status, const char *text)
{
        *why = text;
        return status;
}

/* Case-insensitive comparison of n bytes; lit is lower case. */
static int
hparse_ieq(const char *s, const char *lit, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (hparse_lower[(unsigned char)s[i]] != (unsigned char)lit[i])
                        return 0;
        return 1;
}

/* The same when neither side is known to be lower case. */
static int
hparse_ieq_any(const char *a, const char *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (hparse_lower[(unsigned char)a[i]] != hparse_lower[(unsigned char)b[i]])
                        return 0;
        return 1;
}

/* The length of the line end at p: 2 for CRLF, 1 for a bare LF, 0 for none. */
static size_t
hparse_eol(const char *buf, size_t end, size_t p)
{
        if (p < end && buf[p] == '\n')
                return 1;
        if (p + 1 < end && buf[p] == '\r' && buf[p + 1] == '\n')
                return 2;
        return 0;
}

size_t
hparse_head_end(const char *buf, size_t len, size_t *scan)
{
        /* The empty lines before the request line: at most a few, read again
         * on each call (a bounded handful of bytes). Too many end the head
         * there, so that hparse_head refuses it. */
        size_t p = 0;
        for (int n = 0;;) {
                size_t eol = hparse_eol(buf, len, p);
                if (eol == 0) {
                        if (p == len || (buf[p] == '\r' && p + 1 == len))
                                return 0;
                        break;
                }
                p += eol;
                if (++n > HPARSE_MAX_EMPTY)
                        return p;
        }
        /* From here every LF ends a line that is not empty, and the head ends
         * at the first empty line after one. *scan is past the bytes earlier
         * calls looked at, or at an LF whose next line was still cut short
         * (a terminator split across reads: "\r\n\r" then "\n"). */
        if (*scan > p)
                p = *scan;
        while (p < len) {
                const char *lf = memchr(buf + p, '\n', len - p);
                if (lf == NULL) {
                        *scan = len;
                        return 0;
                }
                size_t i = (size_t)(lf - buf), q = i + 1;
                if (q == len || (buf[q] == '\r' && q + 1 == len)) {
                        *scan = i;
                        return 0;
                }
                if (buf[q] == '\n')
                        return q + 1;
                if (buf[q] == '\r' && buf[q + 1] == '\n')
                        return q + 2;
                p = q;
        }
        *scan = len;
        return 0;
}

/* The target at *p, up to the SP before the version: the path, the query,
 * the NULs after them. */
static int
hparse_target(char *buf, size_t end, size_t *p, struct hparse_req *r, const char **why)
{
        size_t t = *p, i = t, qmark = 0, hash = 0;
        for (; HP_IS(buf[i], HP_V); i++) {
                if (HP_IS(buf[i], HP_S)) {
                        if (buf[i] == '#') {
                                if (hash == 0)
                                        hash = i;
                        } else if (qmark == 0 && hash == 0) {
                                qmark = i;
                        }
                }
        }
        if (i == t)
                return hparse_fail(why, 400, "request line is not method SP target SP version");
        if (i >= end || buf[i] != ' ')
                return hparse_fail(why, 400,
                                   i < end && (buf[i] == '\r' || buf[i] == '\n')
                                       ? "request line without a version"
                                       : "target holds a byte outside 0x21-0x7e");
        size_t sp = i, path = t;
        if (buf[t] != '/') {
                size_t a;
                if (sp - t > 7 && hparse_ieq(buf + t, "http://", 7))
                        a = t + 7;
                else if (sp - t > 8 && hparse_ieq(buf + t, "https://", 8))
                        a = t + 8;
                else
                        return hparse_fail(why, 400, "target is not origin-form or absolute-form");
                const char *slash = memchr(buf + a, '/', sp - a);
                if (slash == NULL || (qmark != 0 && buf + qmark < slash) ||
                    (hash != 0 && buf + hash < slash))
                        return hparse_fail(why, 400, "absolute-form target without a path");
                path = (size_t)(slash - buf);
                if (path == a)
                        return hparse_fail(why, 400, "absolute-form target without a host");
        }
        size_t pe = qmark != 0 ? qmark : hash != 0 ? hash : sp;
        r->path.off = (uint32_t)path;
        r->path.len = (uint32_t)(pe - path);
        if (qmark != 0) {
                size_t qe = hash != 0 ? hash : sp;
                r->query.off = (uint32_t)(qmark + 1);
                r->query.len = (uint32_t)(qe - qmark - 1);
                buf[qe] = '\0';
        }
        buf[pe] = '\0';
        *p = sp + 1;
        return 0;
}

/* "HTTP/1.0" or "HTTP/1.1" at *p, then the line end. */
static int
hparse_version(const char *buf, size_t end, size_t *p, int *minor, const char **why)
{
        const char *v = buf + *p;
        if (end - *p < 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
            v[7] < '0' || v[7] > '9')
                return hparse_fail(why, 400, "request line without an HTTP version");
        size_t eol = hparse_eol(buf, end, *p + 8);
        if (eol == 0)
                return hparse_fail(why, 400, "bytes after the HTTP version");
        if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
                return hparse_fail(why, 505, "HTTP version other than 1.0 and 1.1");
        *minor = v[7] - '0';
        *p += 8 + eol;
        return 0;
}

/* A Content-Length value: digits, or a list of equal ones; -1 otherwise. */
static int64_t
hparse_length(const char *s, size_t len)
{
        int64_t val = -1;
        size_t i = 0;
        for (;;) {
                while (i < len && HP_BLANK(s[i]))
                        i++;
                size_t d = i;
                int64_t x = 0;
                for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                        if (i - d == HPARSE_MAX_DIGITS)
                                return -1;
                        x = x * 10 + (s[i] - '0');
                }
                if (i == d || (val >= 0 && x != val))
                        return -1;
                val = x;
                while (i < len && HP_BLANK(s[i]))
                        i++;
                if (i == len)
                        return val;
                if (s[i] != ',')
                        return -1;
                i++;
        }
}

/* The Connection tokens: bit 1 close, bit 2 keep-alive. */
static int
hparse_connection(const char *s, size_t len)
{
        int flags = 0;
        size_t i = 0;
        while (i < len) {
                while (i < len && (HP_BLANK(s[i]) || s[i] == ','))
                        i++;
                size_t t = i;
                while (i < len && s[i] != ',' && !HP_BLANK(s[i]))
                        i++;
                if (i - t == 5 && hparse_ieq(s + t, "close", 5))
                        flags |= 1;
                else if (i - t == 10 && hparse_ieq(s + t, "keep-alive", 10))
                        flags |= 2;
        }
        return flags;
}

/* What the headers the parser itself reads say; *conn collects the
 * Connection tokens. */
static int
hparse_known(const char *buf, struct hparse_req *r, size_t name, size_t nlen, size_t val,
             size_t vlen, int *conn, const char **why)
{
        const char *n = buf + name, *v = buf + val;
        switch (nlen) {
        case 6:
                if (!hparse_ieq(n, "expect", 6))
                        return 0;
                if (vlen != 12 || !hparse_ieq(v, "100-continue", 12))
                        return hparse_fail(why, 417, "Expect other than 100-continue");
                /* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
                r->expect_continue = r->minor == 1;
                return 0;
        case 10:
                if (hparse_ieq(n, "connection", 10))
                        *conn |= hparse_connection(v, vlen);
                return 0;
        case 14: {
                if (!hparse_ieq(n, "content-length", 14))
                        return 0;
                int64_t cl = hparse_length(v, vlen);
                if (cl < 0)
                        return hparse_fail(why, 400, "Content-Length is not a number");
                if (r->content_length >= 0 && cl != r->content_length)
                        return hparse_fail(why, 400, "two Content-Length values differ");
                r->content_length = cl;
                return 0;
        }
        case 17:
                if (!hparse_ieq(n, "transfer-encoding", 17))
                        return 0;
                /* A second one would make "chunked, chunked". */
                if (vlen != 7 || !hparse_ieq(v, "chunked", 7) || r->chunked)
                        return hparse_fail(why, 501, "Transfer-Encoding other than chunked");
                r->chunked = 1;
                return 0;
        default:
                return 0;
        }
}

/* Where the field value from i on ends: eight bytes at a time while none
 * of them is below 0x20 or 0x7f (the byte loop takes HTAB and the rest);
 * bytes 0x80-0xff pass, as they should. */
static size_t
hparse_value_end(const char *buf, size_t i, size_t end)
{
        const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
        while (end - i >= 8) {
                uint64_t x, del;
                memcpy(&x, buf + i, 8);
                del = x ^ (ones * 0x7f);
                if ((((x - ones * 0x20) & ~x) | ((del - ones) & ~del)) & highs)
                        break;
                i += 8;
        }
        while (HP_IS(buf[i], HP_F))
                i++;
        return i;
}

/* One header line at *p (not empty), its NULs written; *p then at the next
 * line. */
static int
hparse_field(char *buf, size_t end, size_t *p, struct hparse_req *r, int *conn, const char **why)
{
        size_t n = *p, i = n;
        if (HP_BLANK(buf[i]))
                return hparse_fail(why, 400, "obs-fold: a header line starting with a blank");
        while (HP_IS(buf[i], HP_T))
                i++;
        if (buf[i] != ':') {
                if (i < end && i > n && HP_BLANK(buf[i]))
                        return hparse_fail(why, 400, "blank before a header's colon");
                if (i < end && i > n && (buf[i] == '\r' || buf[i] == '\n'))
                        return hparse_fail(why, 400, "header line without a colon");
                return hparse_fail(why, 400, "header name is not a token");
        }
        if (i == n)
                return hparse_fail(why, 400, "header line without a name");
        if (r->nheaders == HPARSE_MAX_HEADERS)
                return hparse_fail(why, 431, "more than 64 header fields");
        size_t colon = i++;
        while (HP_BLANK(buf[i]))
                i++;
        size_t v = i;
        i = hparse_value_end(buf, i, end);
        size_t eol = hparse_eol(buf, end, i);
        if (eol == 0)
                return hparse_fail(why, 400,
                                   i < end && buf[i] == '\r' ? "bare CR in a header"
                                   : i < end                 ? "control byte in a header value"
                                                             : "head without its empty line");
        size_t ve = i;
        while (ve > v && HP_BLANK(buf[ve - 1]))
                ve--;
        int rc = hparse_known(buf, r, n, colon - n, v, ve - v, conn, why);
        if (rc != 0)
                return rc;
        buf[colon] = '\0';
        buf[ve] = '\0';
        r->h[r->nheaders].name.off = (uint32_t)n;
        r->h[r->nheaders].name.len = (uint32_t)(colon - n);
        r->h[r->nheaders].value.off = (uint32_t)v;
        r->h[r->nheaders].value.len = (uint32_t)(ve - v);
        r->nheaders++;
        *p = i + eol;
        return 0;
}

int
hparse_head(char *buf, size_t head_len, struct hparse_req *r, const char **why)
{
        size_t end = head_len, p = 0;
        int rc, conn = 0;
        r->method.off = r->method.len = r->path.off = r->path.len = 0;
        r->query.off = r->query.len = 0;
        r->minor = 1;
        r->keep_alive = r->expect_continue = r->chunked = 0;
        r->content_length = -1;
        r->head_len = head_len;
        r->nheaders = 0;
        *why = "";
        if (head_len > UINT32_MAX)
                return hparse_fail(why, 431, "head too large");
        /* The LF that ends the head stops every loop over a character class
         * below (it is in none), so they need no bounds check; no NUL is
         * ever written there. */
        if (head_len == 0 || buf[head_len - 1] != '\n')
                return hparse_fail(why, 400, "head without its empty line");
        for (int n = 0;; n++) {
                size_t eol = hparse_eol(buf, end, p);
                if (eol == 0)
                        break;
                if (n == HPARSE_MAX_EMPTY)
                        return hparse_fail(why, 400, "too many empty lines before the request");
                p += eol;
        }
        if (p == end)
                return hparse_fail(why, 400, "head without a request line");
        size_t m = p;
        while (HP_IS(buf[p], HP_T))
                p++;
        if (p == m || p - m > HPARSE_MAX_METHOD)
                return hparse_fail(why, 400, "method is not a token of 1 to 16 bytes");
        if (p >= end || buf[p] != ' ')
                return hparse_fail(why, 400, "request line is not method SP target SP version");
        r->method.off = (uint32_t)m;
        r->method.len = (uint32_t)(p - m);
        buf[p++] = '\0';
        if ((rc = hparse_target(buf, end, &p, r, why)) != 0 ||
            (rc = hparse_version(buf, end, &p, &r->minor, why)) != 0)
                return rc;
        for (;;) {
                if (p >= end)
                        return hparse_fail(why, 400, "head without its empty line");
                size_t eol = hparse_eol(buf, end, p);
                if (eol != 0) {
                        p += eol;
                        break;
                }
                if ((rc = hparse_field(buf, end, &p, r, &conn, why)) != 0)
                        return rc;
        }
        if (p != end)
                return hparse_fail(why, 400, "bytes after the head's empty line");
        if (r->chunked && r->minor == 0)
                return hparse_fail(why, 400, "Transfer-Encoding in HTTP/1.0");
        if (r->chunked && r->content_length >= 0)
                return hparse_fail(why, 400, "Transfer-Encoding together with Content-Length");
        r->keep_alive = (conn & 1) ? 0 : r->minor == 1 ? 1 : (conn & 2) != 0;
        return 0;
}

const char *
hparse_header(const char *buf, const struct hparse_req *r, const char *name)
{
        size_t n = strlen(name);
        for (int i = 0; i < r->nheaders; i++) {
                const struct hparse_span *s = &r->h[i].name;
                if (s->len == n && hparse_ieq_any(buf + s->off, name, n))
                        return buf + r->h[i].value.off;
        }
        return NULL;
}

int
hparse_header_count(const char *buf, const struct hparse_req *r, const char *name)
{
        size_t n = strlen(name);
        int count = 0;
        for (int i = 0; i < r->nheaders; i++) {
                const struct hparse_span *s = &r->h[i].name;
                if (s->len == n && hparse_ieq_any(buf + s->off, name, n))
                        count++;
        }
        return count;
}

/* Where hparse_chunks is (st->state): the low byte; the hex digits read of
 * the chunk size so far are in the bits above it, an error's status too. */
enum {
        HP_C_SIZE,    /* in the chunk size */
        HP_C_SIZE_WS, /* blanks after the size, before ';' or the line end */
        HP_C_EXT,     /* a chunk extension, up to the line end */
        HP_C_SIZE_LF, /* CR read at the end of the size line */
        HP_C_DATA,    /* st->left bytes of data */
        HP_C_DATA_CR, /* the CRLF after the data */
        HP_C_DATA_LF,
        HP_C_TLINE,  /* the start of a trailer line, or of the empty line */
        HP_C_TNAME,  /* in a trailer field's name */
        HP_C_TVALUE, /* in its value */
        HP_C_TLF,    /* CR read at the end of a trailer line */
        HP_C_END_LF, /* CR read on the last, empty line */
        HP_C_DONE,
        HP_C_ERROR, /* the status is in the bits above */
};

void
hparse_chunks_init(struct hparse_chunks *st, size_t start, size_t max)
{
        st->in = st->out = st->start = start;
        st->left = 0;
        st->max = max;
        st->extra = 0;
        st->state = HP_C_SIZE;
}

/* The end of a chunk-size line: the data, or the trailers after the last
 * chunk; 413 when the data would not fit. */
static int
hparse_chunk_size_end(struct hparse_chunks *st)
{
        if (st->left == 0)
                return HP_C_TLINE;
        if (st->left > st->max - (st->out - st->start))
                return -413;
        return HP_C_DATA;
}

int
hparse_chunks(char *buf, size_t len, struct hparse_chunks *st)
{
        int state = st->state & 0xff, digits = st->state >> 8;
        if (state == HP_C_DONE)
                return 1;
        if (state == HP_C_ERROR)
                return digits;
        size_t in = st->in;
        int rc = 0;
        while (in < len && rc == 0) {
                if (state == HP_C_DATA) {
                        size_t n = len - in;
                        if (n > st->left)
                                n = (size_t)st->left;
                        if (st->out != in)
                                memmove(buf + st->out, buf + in, n);
                        st->out += n;
                        in += n;
                        st->left -= n;
                        if (st->left == 0)
                                state = HP_C_DATA_CR;
                        continue;
                }
                unsigned char c = (unsigned char)buf[in++];
                if (state == HP_C_DATA_CR || state == HP_C_DATA_LF) {
                        if (c == '\n')
                                state = HP_C_SIZE, digits = 0;
                        else if (c == '\r' && state == HP_C_DATA_CR)
                                state = HP_C_DATA_LF;
                        else
                                rc = 400;
                        continue;
                }
                if (++st->extra > HPARSE_MAX_EXTRA) {
                        rc = 400;
                        break;
                }
                int next = state;
                switch (state) {
                case HP_C_SIZE:
                        if (HP_IS(c, HP_X)) {
                                if (digits == HPARSE_MAX_HEX) {
                                        next = -400;
                                        break;
                                }
                                digits++;
                                st->left = st->left * 16 +
                                           (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
                                break;
                        }
                        if (digits == 0)
                                next = -400;
                        else if (c == ';')
                                next = HP_C_EXT;
                        else if (HP_BLANK(c))
                                next = HP_C_SIZE_WS;
                        else if (c == '\r')
                                next = HP_C_SIZE_LF;
                        else if (c == '\n')
                                next = hparse_chunk_size_end(st);
                        else
                                next = -400;
                        break;
                case HP_C_SIZE_WS:
                        if (c == ';')
                                next = HP_C_EXT;
                        else if (c == '\r')
                                next = HP_C_SIZE_LF;
                        else if (c == '\n')
                                next = hparse_chunk_size_end(st);
                        else if (!HP_BLANK(c))
                                next = -400;
                        break;
                case HP_C_EXT:
                        if (c == '\r')
                                next = HP_C_SIZE_LF;
                        else if (c == '\n')
                                next = hparse_chunk_size_end(st);
                        else if (!HP_IS(c, HP_F))
                                next = -400;
                        break;
                case HP_C_SIZE_LF:
                        next = c == '\n' ? hparse_chunk_size_end(st) : -400;
                        break;
                case HP_C_TLINE:
                        if (c == '\r')
                                next = HP_C_END_LF;
                        else if (c == '\n')
                                next = HP_C_DONE;
                        else
                                next = HP_IS(c, HP_T) ? HP_C_TNAME : -400;
                        break;
                case HP_C_TNAME:
                        if (c == ':')
                                next = HP_C_TVALUE;
                        else if (!HP_IS(c, HP_T))
                                next = -400;
                        break;
                case HP_C_TVALUE:
                        if (c == '\r')
                                next = HP_C_TLF;
                        else if (c == '\n')
                                next = HP_C_TLINE;
                        else if (!HP_IS(c, HP_F))
                                next = -400;
                        break;
                case HP_C_TLF:
                        next = c == '\n' ? HP_C_TLINE : -400;
                        break;
                case HP_C_END_LF:
                        next = c == '\n' ? HP_C_DONE : -400;
                        break;
                default:
                        next = -400;
                        break;
                }
                if (next < 0)
                        rc = -next;
                else if (next == HP_C_DONE)
                        rc = 1;
                state = next < 0 ? HP_C_ERROR : next;
        }
        st->in = in;
        if (rc > 1) {
                st->state = HP_C_ERROR | rc << 8;
                return rc;
        }
        st->state = state | digits << 8;
        return rc;
}
