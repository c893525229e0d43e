#include "http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "live_config.h"
#include "log.h"
#include "metrics.h"
#include "metrics_latency.h"
#include "render.h"
#include "worker_state.h"

static const char *
http_method_name(enum evhttp_cmd_type t)
{
        switch (t) {
        case EVHTTP_REQ_GET:
                return "GET";
        case EVHTTP_REQ_POST:
                return "POST";
        case EVHTTP_REQ_HEAD:
                return "HEAD";
        case EVHTTP_REQ_PUT:
                return "PUT";
        case EVHTTP_REQ_DELETE:
                return "DELETE";
        case EVHTTP_REQ_OPTIONS:
                return "OPTIONS";
        case EVHTTP_REQ_TRACE:
                return "TRACE";
        case EVHTTP_REQ_CONNECT:
                return "CONNECT";
        case EVHTTP_REQ_PATCH:
                return "PATCH";
        }
        return "UNKNOWN";
}

int
http_ctx_init(struct http_ctx *c, struct evhttp_request *req, struct worker *w)
{
        memset(c, 0, sizeof(*c));
        c->req = req;
        c->worker = w;
        /* Held until http_ctx_free: a reload meanwhile does not free it. */
        c->cfg_ref = live_config_acquire(w->live);
        c->cfg = c->cfg_ref->cfg;
        c->conn = conn_dispatched(req);
        clock_gettime(CLOCK_MONOTONIC, &c->start);
        ids_new_fast(c->request_id, "req_");
        c->method = http_method_name(evhttp_request_get_command(req));
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
        if (path == NULL || *path == '\0')
                path = "/";
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

/* evhttp writes a reply only when epoll next reports the socket writable:
 * one more loop turn and two changes of the connection's epoll interest per
 * request. The socket is nearly always writable, so the bufferevent's write
 * callback runs in this turn instead: it writes, finds its buffer empty and
 * drops the interest it had just asked for, and libevent's changelist folds
 * the changes away. When the socket is not writable the callback keeps the
 * event armed, as it always does. (bufferevent_struct.h: the bufferevent's
 * own write event; libevent 2.1.) */
static void
http_write_now(struct evhttp_connection *evcon)
{
        struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
        if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > 0 &&
            event_pending(&bev->ev_write, EV_WRITE, NULL))
                event_active(&bev->ev_write, EV_WRITE, 1);
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
        if (!c->offloop) {
                evhttp_add_header(evhttp_request_get_output_headers(c->req), name, value);
                return;
        }
        if (c->nhdrs < HTTP_MAX_HEADERS) {
                c->hdr_name[c->nhdrs] = name;
                c->hdr_value[c->nhdrs++] = value;
        } else {
                log_error("response header dropped: too many", "request_id", c->request_id,
                          "header", name);
        }
}

/* Sends text with status and the common headers, counts and logs it. The
 * caller has set Content-Type. Loop thread only. */
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

static void
http_send(struct http_ctx *c, int status, const char *text)
{
        /* Logged before the answer is queued: a worker gathers its request
         * lines and writes them at the end of the loop turn (log.h), and
         * that write then comes before the answers' (so a client that reads
         * the log after its answer finds the line). */
        http_log_request(c, status);
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_add_header(h, "X-Request-Id", c->request_id);
        /* The body goes straight into the request's own output buffer, where
         * evhttp_send_reply would move it: no evbuffer of our own to
         * allocate and free per request. */
        struct evbuffer *out = evhttp_request_get_output_buffer(c->req);
        evbuffer_add(out, text, strlen(text));
        struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
        conn_replied(c->conn);
        evhttp_send_reply(c->req, status, NULL, NULL);
        if (evcon != NULL)
                http_write_now(evcon);
}

void
http_reply_bytes(struct http_ctx *c, int status, const char *content_type, const void *data,
                 size_t len, const char *cache_control)
{
        if (c->replied)
                return;
        c->replied = 1;
        http_log_request(c, status);
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
        if (content_type != NULL)
                evhttp_add_header(h, "Content-Type", content_type);
        evhttp_add_header(h, "Cache-Control", cache_control);
        evhttp_add_header(h, "X-Request-Id", c->request_id);
        /* Referenced, not copied: the bytes live as long as the program. */
        if (len > 0)
                evbuffer_add_reference(evhttp_request_get_output_buffer(c->req), data, len, NULL,
                                       NULL);
        struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
        conn_replied(c->conn);
        evhttp_send_reply(c->req, status, NULL, NULL);
        if (evcon != NULL)
                http_write_now(evcon);
}

/* Off the loop the reply is only recorded: http_send_recorded sends it. */
void
http_reply_raw(struct http_ctx *c, int status, const char *text)
{
        if (c->replied)
                return;
        c->replied = 1;
        if (!c->offloop) {
                http_send(c, status, text);
                return;
        }
        c->reply_status = status;
        c->reply_body = strdup(text);
}

void
http_send_recorded(struct http_ctx *c)
{
        c->offloop = 0;
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
        if (c->reply_body == NULL) {
                /* No answer, or no memory to keep it: the handler's headers
                 * may not fit a 500, so they are dropped. */
                log_error("no reply recorded", "request_id", c->request_id);
                evhttp_clear_headers(h);
                c->replied = 0;
                http_error(c, 500, "internal", "internal error (request %s)", c->request_id);
                return;
        }
        for (int i = 0; i < c->nhdrs; i++)
                evhttp_add_header(h, c->hdr_name[i], c->hdr_value[i]);
        http_send(c, c->reply_status, c->reply_body);
        free(c->reply_body);
        c->reply_body = NULL;
}

void
http_stream_start(struct http_ctx *c, int status, const char *content_type)
{
        c->replied = 1;
        http_log_request(c, status);
        struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
        evhttp_add_header(h, "Content-Type", content_type);
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_add_header(h, "X-Request-Id", c->request_id);
        /* One stream per connection: nothing waits behind a long export,
         * and the connection's timeouts need not be restored afterwards. */
        evhttp_add_header(h, "Connection", "close");
        evhttp_send_reply_start(c->req, status, NULL);
        struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
        struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
        if (bev != NULL) {
                /* evhttp keeps reading while it writes, only to notice a
                 * close; its read timeout would cut an export that takes
                 * longer than timeout_seconds. A client that stops reading
                 * is still cut by the write timeout. */
                struct timeval tv = {c->worker->cfg->timeout_seconds, 0};
                bufferevent_set_timeouts(bev, NULL, &tv);
        }
}

int
http_stream_alive(const struct http_ctx *c)
{
        return evhttp_request_get_connection(c->req) != NULL;
}

void
http_stream_chunk(struct http_ctx *c, struct evbuffer *buf,
                  void (*cb)(struct evhttp_connection *, void *), void *arg)
{
        evhttp_send_reply_chunk_with_cb(c->req, buf, cb, arg);
        struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
        if (evcon != NULL)
                http_write_now(evcon);
}

void
http_stream_end(struct http_ctx *c, int ok)
{
        struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
        struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
        if (!ok && bev != NULL && bufferevent_getfd(bev) >= 0)
                shutdown(bufferevent_getfd(bev), SHUT_RDWR);
        conn_replied(c->conn);
        c->conn = NULL;
        /* Frees the request at once when its connection is gone, else after
         * the last chunk (or the failed write) went. */
        evhttp_send_reply_end(c->req);
        c->req = NULL;
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
        struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
        size_t n = evbuffer_get_length(in); /* within max_body_bytes: router_route */
        char *buf = malloc(n + 1);
        if (buf == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return NULL;
        }
        evbuffer_copyout(in, buf, n);
        buf[n] = '\0';
        if (len != NULL)
                *len = n;
        return buf;
}
