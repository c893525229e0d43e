/* The head of an HTTP/1.1 answer (RFC 9112): status line, Date, framing and
 * the handler's fields, written with copies only (no printf: it runs for
 * every answer). */
#ifndef QPAYD_API_HREPLY_H
#define QPAYD_API_HREPLY_H

#include <stddef.h>

/* An answer's header fields beyond those the server writes itself (Date,
 * Content-Length, Connection, Transfer-Encoding): name[i]: value[i]. */
struct hreply_fields {
        const char *const *name;
        const char *const *value;
        int n;
};

/* Room for the server's own lines and the handler's fields (at most
 * HTTP_MAX_HEADERS, their text bounded by http.c's arena). */
#define HREPLY_HEAD_MAX 4096

#define HREPLY_CLOSE      1 /* Connection: close */
#define HREPLY_KEEP_ALIVE 2 /* Connection: keep-alive (an HTTP/1.0 client that asked) */
#define HREPLY_CHUNKED    4 /* Transfer-Encoding: chunked instead of Content-Length */
#define HREPLY_NO_LENGTH  8 /* neither (204, 304) */

/* Writes the head into buf and returns its length. Fields that would not fit
 * are left out (the server's own lines always fit). */
size_t hreply_head(char *buf, size_t size, int status, const struct hreply_fields *f,
                   size_t content_length, int flags);

/* The reason phrase of status ("OK", "Not Found"), or "Unknown". */
const char *hreply_reason(int status);

#endif
