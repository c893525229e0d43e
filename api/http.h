/* One request in flight: its id, its worker, its route parameters, and the
 * single way to answer it (JSON, logged once). */
#ifndef QPAYD_API_HTTP_H
#define QPAYD_API_HTTP_H

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "ids.h"

struct worker;
struct hconn;
struct live_config_ref;

#define HTTP_MAX_PARAMS  4
#define HTTP_MAX_HEADERS 10   /* the dashboard's files send 7 (api/static.c) */
#define HTTP_HDR_ARENA   2048 /* their names and values, copied */

struct http_ctx {
        struct hconn *hc; /* the connection, until the answer is handed to it; then NULL */
        struct worker *worker;
        const struct config *cfg;        /* the configuration this request runs under */
        struct live_config_ref *cfg_ref; /* the reference that keeps cfg */
        char request_id[ID_MAX];
        const char *method; /* "GET", "POST", …: method_buf */
        char method_buf[20];
        char path[512];                      /* decoded-free request path, without the query */
        char pbuf[512];                      /* copy of path cut into route parameters */
        const char *params[HTTP_MAX_PARAMS]; /* route parameters, point into pbuf */
        size_t nparams;
        int route_slot; /* metrics_latency_observe's: 1 + the route's index, 0 none */
        struct timespec start;
        int replied;
        int async;           /* a handler kept it: it replies, then frees it, later */
        const void *pending; /* what the asynchronous handler is waiting for */
        /* Set while a handler runs on the worker's database thread
         * (api/dbthread.c): the reply is recorded here and sent by the loop
         * thread, since connections may only be used from there. */
        int offloop;
        int db_late; /* waited query_timeout for the database thread: no database */
        int reply_status;
        char *reply_body;                       /* owned; NULL: none recorded, or out of memory */
        const char *hdr_name[HTTP_MAX_HEADERS]; /* in hdr_arena */
        const char *hdr_value[HTTP_MAX_HEADERS];
        int nhdrs;
        size_t hdr_used;
        struct http_ctx *spare_next;    /* on its worker's list of spares */
        char hdr_arena[HTTP_HDR_ARENA]; /* last: http_ctx_init does not clear it */
};

/* A context for a request of w's loop: one of w's spares, else a new
 * allocation. NULL when out of memory. Free with http_ctx_free. */
struct http_ctx *http_ctx_new(struct worker *w);
/* Frees w's spare contexts (worker teardown, after its loop has ended). */
void http_ctx_spares_free(struct worker *w);
/* Fills c for the request hc holds: request id, method, path, and a
 * reference to the configuration w's requests start under now (w->live).
 * Returns -1 (after answering 414) when the path is unusable; free c with
 * http_ctx_free either way. */
int http_ctx_init(struct http_ctx *c, struct hconn *hc, struct worker *w);

/* The request's fields, query string (NULL: none), body and client
 * address; valid until the answer is given. */
const char *http_header(const struct http_ctx *c, const char *name);
int http_header_count(const struct http_ctx *c, const char *name);
const char *http_query(const struct http_ctx *c);
/* The body without a copy: len bytes, NUL-terminated. */
const char *http_body_view(const struct http_ctx *c, size_t *len);
void http_peer(const struct http_ctx *c, char *buf, size_t size);
/* Lets go of c's configuration and frees c (from http_ctx_new): kept as a
 * spare of its worker, up to HTTP_CTX_SPARES. Loop thread only. */
void http_ctx_free(struct http_ctx *c);

/* Sends body (owned: freed here) with status, Content-Type application/json,
 * X-Request-Id, and logs the request line. body may be NULL (empty object). */
void http_reply_json(struct http_ctx *c, int status, cJSON *body);
/* {"error":{"code":code,"message":…}} with status; the message names what was
 * wrong. 401 adds WWW-Authenticate: Bearer. */
void http_error(struct http_ctx *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sends text (borrowed) as it is with status, logged like the above; the
 * caller sets Content-Type (/metrics). */
void http_reply_raw(struct http_ctx *c, int status, const char *text);
/* Sends b's content (borrowed; a NUL is appended to it) as text, like
 * http_reply_raw; 500 when out of memory. */
void http_reply_buffer(struct http_ctx *c, int status, struct evbuffer *b);
/* Sends len bytes of data (borrowed for the program's life: not copied)
 * with status, content_type (NULL: none) and cache_control, logged like the
 * above; loop thread only (the dashboard's files, api/static.c). */
void http_reply_bytes(struct http_ctx *c, int status, const char *content_type, const void *data,
                      size_t len, const char *cache_control);
/* Sends text (borrowed: valid JSON, from PostgreSQL or cJSON) as
 * application/json in the API's one style (render.h: compact). Every JSON
 * body, errors included, goes through here. */
void http_reply_text(struct http_ctx *c, int status, const char *text);
void http_errorv(struct http_ctx *c, int status, const char *code, const char *fmt, va_list ap);

/* c's path as logs and error messages may show it: a claim link's token
 * (docs/claims.md) masked. */
const char *http_log_path(const struct http_ctx *c);

/* Adds a response header (name and value are copied). */
void http_add_header(struct http_ctx *c, const char *name, const char *value);

/* Sends the reply a handler recorded off the loop (a 500 when it recorded
 * none) and frees what it recorded; loop thread only. c stays the caller's. */
void http_send_recorded(struct http_ctx *c);

/* A reply streamed in chunks (the CSV exports, api/export.c); loop thread
 * only. http_stream_start sends the status line and headers (content_type,
 * Connection: close, the common ones) and logs and counts the request now;
 * the body follows chunk by chunk. */
void http_stream_start(struct http_ctx *c, int status, const char *content_type);
/* 1 while the client is still connected. */
int http_stream_alive(const struct http_ctx *c);
/* Hands buf's content (moved out of buf) to the connection as one chunk;
 * cb(arg) runs once the socket took everything queued: the pace of the
 * client. */
void http_stream_chunk(struct http_ctx *c, struct evbuffer *buf, void (*cb)(void *), void *arg);
/* Ends a started stream: ok sends the last chunk; otherwise the connection
 * is cut, so that the client sees an incomplete body, never a short file
 * that looks whole. c->hc is gone afterwards; c stays the caller's. */
void http_stream_end(struct http_ctx *c, int ok);

/* Copies the request body into a NUL-terminated buffer (caller frees), or
 * answers 500 and returns NULL. router_route has already refused a body over
 * max_body_bytes. *len may be NULL. */
char *http_body(struct http_ctx *c, size_t *len);

#endif
