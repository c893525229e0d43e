/* HTTP/1.1 request heads and chunked bodies (RFC 9110, RFC 9112), parsed in
 * place in a connection's input buffer: no allocation, no copy. The server
 * (api/hconn.c) finds the end of the head first (hparse_head_end), so that
 * hparse_head only ever sees a whole head; everything it keeps is an offset
 * into that buffer, which may move (grow) while a body arrives. Pure: the
 * unit tests and a fuzz harness drive it directly. */
#ifndef QPAYD_API_HPARSE_H
#define QPAYD_API_HPARSE_H

#include <stddef.h>
#include <stdint.h>

#define HPARSE_MAX_HEADERS 64

/* A piece of the buffer: buf + off, len bytes, followed by a NUL that
 * hparse_head wrote there. */
struct hparse_span {
        uint32_t off, len;
};

struct hparse_req {
        struct hparse_span method; /* a token: "GET", "POST", or any other */
        struct hparse_span path;   /* from the first '/', without query or fragment */
        struct hparse_span query;  /* after '?', without the '?'; len 0 and off 0: none */
        int minor;                 /* HTTP/1.minor: 0 or 1 */
        int keep_alive;            /* the client keeps the connection: HTTP/1.1 unless "close",
                                      HTTP/1.0 only with "keep-alive" (the Connection header) */
        int expect_continue;       /* Expect: 100-continue */
        int chunked;               /* Transfer-Encoding: chunked */
        int64_t content_length;    /* -1: no Content-Length */
        size_t head_len;           /* bytes of the head, its blank line included */
        int nheaders;
        struct {
                struct hparse_span name, value; /* value without surrounding blanks */
        } h[HPARSE_MAX_HEADERS];
};

/* Where the head in buf[0..len) ends: the length of the head, its blank line
 * included (CRLF CRLF, or bare LFs), or 0 when it has not all arrived. *scan
 * (0 at first) keeps how far earlier calls looked, so that a head arriving
 * byte by byte is not scanned again from the start. Empty lines before the
 * request line are part of the head (RFC 9112 2.2). */
size_t hparse_head_end(const char *buf, size_t len, size_t *scan);

/* Parses the head buf[0..head_len) (head_len from hparse_head_end) into r,
 * writing NULs into buf after the method, path, query, and each header name
 * and value. Returns 0, or the status to answer: 400 (malformed: *why says
 * what, e.g. "header line without a colon"), 431 (more than
 * HPARSE_MAX_HEADERS header fields), 501 (a Transfer-Encoding other than
 * chunked), 505 (an HTTP version other than 1.0 and 1.1), 417 (an Expect
 * other than 100-continue). *why is a string literal.
 *
 * Refused as 400: a request line that is not method SP target SP version;
 * a method that is not a token; a target that is not origin-form ("/…") or
 * absolute-form ("http://host/…", whose path is used; "*" and authority-form
 * are refused), or that holds a byte outside 0x21-0x7e; a header name that
 * is not a token or has blanks before its colon; a value with a control
 * byte other than HTAB (bytes 0x80-0xff are allowed); obs-fold (a line
 * starting with a blank); a bare CR; a Content-Length that is not digits or
 * over 18 digits, or two that differ (a list of equal values is one value);
 * Transfer-Encoding together with Content-Length, or in HTTP/1.0. */
int hparse_head(char *buf, size_t head_len, struct hparse_req *r, const char **why);

/* The value of the first header named name (case-insensitive), NUL-terminated
 * in buf, or NULL. */
const char *hparse_header(const char *buf, const struct hparse_req *r, const char *name);
/* How many header fields are named name (case-insensitive). */
int hparse_header_count(const char *buf, const struct hparse_req *r, const char *name);

/* A chunked body being decoded in place (RFC 9112 7.1). Set it up with
 * hparse_chunks_init(&st, r->head_len, max): the decoded body then grows
 * contiguously from buf + head_len to buf + st.out, over the chunk framing
 * it replaces. */
struct hparse_chunks {
        size_t in;     /* the next byte of buf to decode */
        size_t out;    /* where the next decoded byte goes (out <= in) */
        uint64_t left; /* bytes left in the current chunk */
        size_t start;  /* where the body starts (head_len) */
        size_t max;    /* the most decoded bytes allowed (max_body_bytes) */
        size_t extra;  /* bytes of chunk-size lines and trailers so far: bounded too */
        int state;     /* internal */
};

void hparse_chunks_init(struct hparse_chunks *st, size_t start, size_t max);
/* Decodes what buf[st->in..len) holds. Returns 1 when the body is complete
 * (the last chunk and the trailer section read: st->in is then the first
 * byte after the body, the next pipelined request), 0 when more must
 * arrive, 413 when the decoded body would pass st->max, 400 when the
 * framing is malformed (a size that is not hex or has more than 15 digits,
 * a chunk not followed by CRLF, a bad trailer line), or when chunk-size
 * lines, extensions and trailers pass 16 KiB together. Chunk extensions
 * and trailer fields are read and ignored. */
int hparse_chunks(char *buf, size_t len, struct hparse_chunks *st);

#endif
