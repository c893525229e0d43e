#include "http.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hconn.h"
#include "live_config.h"
#include "log.h"
#include "metrics.h"
#include "metrics_latency.h"
#include "render.h"
#include "worker_state.h"

int
http_ctx_init(struct http_ctx *c, struct hconn *hc, struct worker *w)
{
        /* Everything but the header arena, which hdr_used says is empty. */
        memset(c, 0, offsetof(struct http_ctx, hdr_arena));
        c->hc = hc;
        c->worker = w;
        /* Held until http_ctx_free: a reload meanwhile does not free it. */
        c->cfg_ref = live_config_acquire(w->live);
        c->cfg = c->cfg_ref->cfg;
        clock_gettime(CLOCK_MONOTONIC, &c->start);
        ids_new_fast(c->request_id, "req_");
        /* A token of at most 16 bytes (hparse.h). */
        const char *m = hconn_method(hc);
        size_t ml = strnlen(m, sizeof(c->method_buf) - 1);
        memcpy(c->method_buf, m, ml);
        c->method_buf[ml] = '\0';
        c->method = c->method_buf;
        const char *path = hconn_path(hc);
        size_t len = strlen(path);
        if (len >= sizeof(c->path)) {
                snprintf(c->path, sizeof(c->path), "%.64s…", path);
                http_error(c, 414, "uri_too_long", "request path is longer than %zu bytes",
                           sizeof(c->path) - 1);
                return -1;
        }
        memcpy(c->path, path, len + 1);
        return 0;
}

const char *
http_header(const struct http_ctx *c, const char *name)
{
        return c->hc != NULL ? hconn_header(c->hc, name) : NULL;
}

int
http_header_count(const struct http_ctx *c, const char *name)
{
        return c->hc != NULL ? hconn_header_count(c->hc, name) : 0;
}

const char *
http_query(const struct http_ctx *c)
{
        return c->hc != NULL ? hconn_query(c->hc) : NULL;
}

const char *
http_body_view(const struct http_ctx *c, size_t *len)
{
        if (c->hc == NULL) {
                *len = 0;
                return "";
        }
        return hconn_body(c->hc, len);
}

void
http_peer(const struct http_ctx *c, char *buf, size_t size)
{
        if (c->hc != NULL)
                hconn_peer(c->hc, buf, size);
        else
                snprintf(buf, size, "unknown");
}

/* Enough for the requests a loop turn answers at once; more are freed. */
#define HTTP_CTX_SPARES 64

struct http_ctx *
http_ctx_new(struct worker *w)
{
        struct http_ctx *c = w->ctx_spare;
        if (c == NULL)
                return malloc(sizeof(*c));
        w->ctx_spare = c->spare_next;
        w->nctx_spare--;
        return c;
}

void
http_ctx_spares_free(struct worker *w)
{
        while (w->ctx_spare != NULL) {
                struct http_ctx *c = w->ctx_spare;
                w->ctx_spare = c->spare_next;
                free(c);
        }
        w->nctx_spare = 0;
}

void
http_ctx_free(struct http_ctx *c)
{
        if (c == NULL)
                return;
        live_config_release(c->cfg_ref);
        free(c->reply_body);
        struct worker *w = c->worker;
        if (w == NULL || w->nctx_spare >= HTTP_CTX_SPARES) {
                free(c);
                return;
        }
        c->spare_next = w->ctx_spare;
        w->ctx_spare = c;
        w->nctx_spare++;
}

const char *
http_log_path(const struct http_ctx *c)
{
        /* A claim token is a bearer secret (docs/claims.md): never logged. */
        return strncmp(c->path, "/claim/", 7) == 0 ? "/claim/{token}" : c->path;
}

void
http_add_header(struct http_ctx *c, const char *name, const char *value)
{
        size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
        if (c->nhdrs >= HTTP_MAX_HEADERS || nl + vl > sizeof(c->hdr_arena) - c->hdr_used) {
                log_error("response header dropped: too many", "request_id", c->request_id,
                          "header", name);
                return;
        }
        char *p = c->hdr_arena + c->hdr_used;
        memcpy(p, name, nl);
        memcpy(p + nl, value, vl);
        c->hdr_name[c->nhdrs] = p;
        c->hdr_value[c->nhdrs++] = p + nl;
        c->hdr_used += nl + vl;
}

/* The handler's fields, then Cache-Control and X-Request-Id (names[] and
 * values[] have room for HTTP_MAX_HEADERS + 2). */
static struct hreply_fields
http_fields(const struct http_ctx *c, const char **names, const char **values,
            const char *cache_control)
{
        int n = 0;
        for (int i = 0; i < c->nhdrs; i++) {
                names[n] = c->hdr_name[i];
                values[n++] = c->hdr_value[i];
        }
        names[n] = "Cache-Control";
        values[n++] = cache_control;
        names[n] = "X-Request-Id";
        values[n++] = c->request_id;
        return (struct hreply_fields){names, values, n};
}

/* Counts and logs one answered request, and how long it took by route. */
static void
http_log_request(const struct http_ctx *c, int status)
{
        metrics_count_request(status);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t us = (int64_t)(now.tv_sec - c->start.tv_sec) * 1000000 +
                     (now.tv_nsec - c->start.tv_nsec) / 1000;
        metrics_latency_observe(c->route_slot, us);
        enum log_level level = status >= 500 ? LOG_WARN : LOG_INFO;
        if (level < log_get_level())
                return;
        char st[24], dur[LOG_MS_SIZE], wk[24];
        const char *path = http_log_path(c);
        log_event(level, "request", "request_id", c->request_id, "method", c->method, "path", path,
                  "status", log_i64(st, status), "ms", log_ms(dur, us), "worker",
                  log_i64(wk, c->worker->index), (char *)NULL);
}

/* Sends len bytes of body with status, the handler's fields and the common
 * ones (cache_control, X-Request-Id), counted and logged; loop thread only.
 * The connection is handed back: c->hc is NULL afterwards. */
static void
http_send(struct http_ctx *c, int status, const char *cache_control, const void *body, size_t len)
{
        /* Logged before the answer is queued: a worker gathers its request
         * lines and writes them at the end of the loop turn (log.h), and
         * that write then comes before the answers' (so a client that reads
         * the log after its answer finds the line). */
        http_log_request(c, status);
        const char *names[HTTP_MAX_HEADERS + 2], *values[HTTP_MAX_HEADERS + 2];
        struct hreply_fields f = http_fields(c, names, values, cache_control);
        struct hconn *hc = c->hc;
        c->hc = NULL;
        if (hc != NULL)
                hconn_reply(hc, status, &f, body, len);
}

void
http_reply_bytes(struct http_ctx *c, int status, const char *content_type, const void *data,
                 size_t len, const char *cache_control)
{
        if (c->replied)
                return;
        c->replied = 1;
        if (content_type != NULL)
                http_add_header(c, "Content-Type", content_type);
        /* Not copied: the bytes live as long as the program, and the
         * connection copies what the socket does not take at once. */
        http_send(c, status, cache_control, data, len);
}

/* Off the loop the reply is only recorded: http_send_recorded sends it. */
void
http_reply_raw(struct http_ctx *c, int status, const char *text)
{
        if (c->replied)
                return;
        c->replied = 1;
        if (!c->offloop) {
                http_send(c, status, "no-store", text, strlen(text));
                return;
        }
        c->reply_status = status;
        c->reply_body = strdup(text);
}

void
http_reply_buffer(struct http_ctx *c, int status, struct evbuffer *b)
{
        const char *text =
            evbuffer_add(b, "", 1) == 0 ? (const char *)evbuffer_pullup(b, -1) : NULL;
        if (text == NULL) {
                /* The caller's fields describe the body that is not sent. */
                c->nhdrs = 0;
                c->hdr_used = 0;
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        http_reply_raw(c, status, text);
}

void
http_send_recorded(struct http_ctx *c)
{
        c->offloop = 0;
        if (c->reply_body == NULL) {
                /* No answer, or no memory to keep it: the handler's headers
                 * may not fit a 500, so they are dropped. */
                log_error("no reply recorded", "request_id", c->request_id);
                c->nhdrs = 0;
                c->hdr_used = 0;
                c->replied = 0;
                http_error(c, 500, "internal", "internal error (request %s)", c->request_id);
                return;
        }
        http_send(c, c->reply_status, "no-store", c->reply_body, strlen(c->reply_body));
        free(c->reply_body);
        c->reply_body = NULL;
}

void
http_stream_start(struct http_ctx *c, int status, const char *content_type)
{
        c->replied = 1;
        http_log_request(c, status);
        http_add_header(c, "Content-Type", content_type);
        const char *names[HTTP_MAX_HEADERS + 2], *values[HTTP_MAX_HEADERS + 2];
        struct hreply_fields f = http_fields(c, names, values, "no-store");
        /* One stream per connection (hconn closes it after the last chunk):
         * nothing waits behind a long export. */
        if (c->hc != NULL)
                hconn_stream_start(c->hc, status, &f);
}

int
http_stream_alive(const struct http_ctx *c)
{
        return c->hc != NULL && hconn_stream_alive(c->hc);
}

void
http_stream_chunk(struct http_ctx *c, struct evbuffer *buf, void (*cb)(void *), void *arg)
{
        if (c->hc != NULL)
                hconn_stream_chunk(c->hc, buf, cb, arg);
}

void
http_stream_end(struct http_ctx *c, int ok)
{
        struct hconn *hc = c->hc;
        c->hc = NULL;
        if (hc != NULL)
                hconn_stream_end(hc, ok);
}

/* Every JSON body passes here, and leaves in render.h's one style. Bodies
 * up to a few KiB (an error, a refund, an invoice) are compacted on the
 * stack; lists on the heap. */
void
http_reply_text(struct http_ctx *c, int status, const char *text)
{
        if (c->replied)
                return;
        char stack[4096];
        size_t len = strlen(text);
        char *body = len < sizeof(stack) ? stack : malloc(len + 1);
        if (body == NULL) {
                /* The error is small: it fits the stack. */
                http_error(c, 500, "internal", "out of memory (request %s)", c->request_id);
                return;
        }
        body[render_json_compact(body, text, len)] = '\0';
        http_add_header(c, "Content-Type", "application/json");
        http_reply_raw(c, status, body);
        if (body != stack)
                free(body);
}

void
http_reply_json(struct http_ctx *c, int status, cJSON *body)
{
        char *text = body ? cJSON_PrintUnformatted(body) : NULL;
        cJSON_Delete(body);
        http_reply_text(c, status, text ? text : "{}");
        free(text);
}

void
http_errorv(struct http_ctx *c, int status, const char *code, const char *fmt, va_list ap)
{
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (status == 401 && !c->replied)
                http_add_header(c, "WWW-Authenticate", "Bearer");
        cJSON *root = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(err, "code", code);
        cJSON_AddStringToObject(err, "message", msg);
        cJSON_AddStringToObject(err, "request_id", c->request_id);
        log_debug("request error", "request_id", c->request_id, "code", code, "detail", msg);
        http_reply_json(c, status, root);
}

void
http_error(struct http_ctx *c, int status, const char *code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        http_errorv(c, status, code, fmt, ap);
        va_end(ap);
}

char *
http_body(struct http_ctx *c, size_t *len)
{
        size_t n;
        const char *in = http_body_view(c, &n); /* within max_body_bytes: hconn.c */
        char *buf = malloc(n + 1);
        if (buf == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return NULL;
        }
        memcpy(buf, in, n);
        buf[n] = '\0';
        if (len != NULL)
                *len = n;
        return buf;
}
