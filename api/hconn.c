#include "hconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hreply.h"

/* A request head and a small body fit; a larger body grows the buffer for
 * that request only. Idle connections hold no buffer. */
#define HCONN_BUF 4096
/* The most a request head may take: 431 past it. */
#define HCONN_HEAD_MAX (16 * 1024)
/* Framing a chunked body may add to its data (hparse_chunks bounds it at
 * 16 KiB), with room for a chunk-size line that has not all arrived. */
#define HCONN_CHUNK_SLACK (17 * 1024)
#define HCONN_SPARES      256
/* What a lingering close reads and drops at most before it closes anyway. */
#define HCONN_LINGER_BYTES (256 * 1024)

struct hconn {
        struct hconns *hs;
        struct hconn *prev, *next;
        int fd;
        enum hconn_phase phase;
        int64_t since_ms;
        struct event rev, wev;
        char *in; /* NULL while idle with nothing buffered */
        size_t len, cap;
        size_t scan;     /* hparse_head_end's */
        size_t used;     /* bytes of in the dispatched request takes */
        size_t body_len; /* its decoded body, at in + req.head_len */
        size_t lingered; /* bytes dropped while lingering */
        char saved;      /* the byte the body's NUL covers, when pipelined */
        unsigned have_head : 1, held : 1, closed : 1, close_after : 1, read_off : 1, in_process : 1,
            continued : 1, stream : 1, head_only : 1, eof : 1, saved_valid : 1;
        char *obuf;           /* answers queued in this loop turn (hconn_send) */
        size_t olen, ooff;    /* obuf's bytes, and how many of them went */
        struct evbuffer *out; /* answers too large for obuf, and streams */
        void (*drain_cb)(void *);
        void *drain_arg;
        struct sockaddr_storage peer;
        socklen_t peerlen;
        /* Last: hconn_new does not clear them (hparse_head fills them). */
        struct hparse_chunks ch;
        struct hparse_req req;
};

static _Atomic unsigned long long hconn_open;

static void hconn_process(struct hconn *hc);
static void hconn_after_write(struct hconn *hc);

unsigned long long
hconn_open_total(void)
{
        return atomic_load_explicit(&hconn_open, memory_order_relaxed);
}

int64_t
hconn_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hconn_set_phase(struct hconn *hc, enum hconn_phase p)
{
        hc->phase = p;
        hc->since_ms = hconn_now_ms();
}

enum hconn_phase
hconn_phase(const struct hconn *hc)
{
        return hc->phase;
}

int64_t
hconn_since_ms(const struct hconn *hc)
{
        return hc->since_ms;
}

struct hconn *
hconn_next(const struct hconn *hc)
{
        return hc->next;
}

/* Buffers of HCONN_BUF bytes, for input and output: the worker's spares,
 * else malloc. NULL when out of memory. */
static char *
hconn_spare_get(struct hconns *hs)
{
        char *b = hs->spare;
        if (b == NULL)
                return malloc(HCONN_BUF);
        memcpy(&hs->spare, b, sizeof(hs->spare));
        hs->nspare--;
        return b;
}

static void
hconn_spare_put(struct hconns *hs, char *b)
{
        if (hs->nspare >= HCONN_SPARES) {
                free(b);
                return;
        }
        memcpy(b, &hs->spare, sizeof(hs->spare));
        hs->spare = b;
        hs->nspare++;
}

static int
hconn_buf_get(struct hconn *hc)
{
        if (hc->in != NULL)
                return 0;
        if ((hc->in = hconn_spare_get(hc->hs)) == NULL)
                return -1;
        hc->cap = HCONN_BUF;
        hc->len = 0;
        return 0;
}

/* An idle connection holds no input buffer; one grown for a large body is
 * freed, not kept. */
static void
hconn_buf_put(struct hconn *hc)
{
        if (hc->in == NULL)
                return;
        if (hc->cap == HCONN_BUF)
                hconn_spare_put(hc->hs, hc->in);
        else
                free(hc->in);
        hc->in = NULL;
        hc->cap = hc->len = 0;
}

static void
hconn_obuf_put(struct hconn *hc)
{
        if (hc->obuf != NULL)
                hconn_spare_put(hc->hs, hc->obuf);
        hc->obuf = NULL;
        hc->olen = hc->ooff = 0;
}

void
hconn_spares_free(struct hconns *hs)
{
        while (hs->spare != NULL) {
                char *b = hs->spare;
                memcpy(&hs->spare, b, sizeof(hs->spare));
                free(b);
        }
        hs->nspare = 0;
}

/* Room for need bytes. Offsets into the buffer stay valid; pointers do not,
 * which is why nothing keeps one while a request arrives. */
static int
hconn_buf_grow(struct hconn *hc, size_t need)
{
        if (need <= hc->cap)
                return 0;
        size_t cap = hc->cap * 2 > need ? hc->cap * 2 : need;
        char *p = realloc(hc->in, cap);
        if (p == NULL)
                return -1;
        hc->in = p;
        hc->cap = cap;
        return 0;
}

static void
hconn_read_off(struct hconn *hc)
{
        if (!hc->read_off) {
                event_del(&hc->rev);
                hc->read_off = 1;
        }
}

static void
hconn_read_on(struct hconn *hc)
{
        if (hc->read_off && !hc->eof && !hc->closed) {
                event_add(&hc->rev, NULL);
                hc->read_off = 0;
        }
}

static void
hconn_free_now(struct hconn *hc)
{
        hconn_buf_put(hc);
        hconn_obuf_put(hc);
        if (hc->out != NULL)
                evbuffer_free(hc->out);
        free(hc);
}

/* Frees a closed connection once nothing holds it: neither a handler nor a
 * callback of this file further up the stack. */
static void
hconn_maybe_free(struct hconn *hc)
{
        if (hc->closed && !hc->held && !hc->in_process)
                hconn_free_now(hc);
}

void
hconn_close(struct hconn *hc)
{
        if (hc->closed)
                return;
        struct hconns *hs = hc->hs;
        hc->closed = 1;
        event_del(&hc->rev);
        event_del(&hc->wev);
        close(hc->fd);
        hc->fd = -1;
        if (hc->prev != NULL)
                hc->prev->next = hc->next;
        else
                hs->head = hc->next;
        if (hc->next != NULL)
                hc->next->prev = hc->prev;
        hs->count--;
        atomic_fetch_sub_explicit(&hconn_open, 1, memory_order_relaxed);
        if (hs->want_room && hs->room_ev != NULL)
                event_active(hs->room_ev, EV_READ, 0);
        hconn_maybe_free(hc);
}

/* Queues an answer: written at the end of the loop turn, after the request
 * lines the turn logged (log.h: a client that reads the log after its answer
 * finds the line), with one system call. The bytes are copied into the
 * connection's output buffer, one of the worker's spare buffers, or when
 * too large into an evbuffer. 0, or -1 when out of memory (the connection
 * is closed then). */
static int
hconn_send(struct hconn *hc, const struct iovec *iov, int niov)
{
        size_t total = 0;
        for (int i = 0; i < niov; i++)
                total += iov[i].iov_len;
        int evq = hc->out != NULL && evbuffer_get_length(hc->out) > 0;
        int queued = evq || hc->olen > 0;
        if (!evq && total <= HCONN_BUF - hc->olen &&
            (hc->obuf != NULL || (hc->obuf = hconn_spare_get(hc->hs)) != NULL)) {
                for (int i = 0; i < niov; i++) {
                        memcpy(hc->obuf + hc->olen, iov[i].iov_base, iov[i].iov_len);
                        hc->olen += iov[i].iov_len;
                }
        } else {
                if (hc->out == NULL && (hc->out = evbuffer_new()) == NULL) {
                        hconn_close(hc);
                        return -1;
                }
                for (int i = 0; i < niov; i++)
                        if (evbuffer_add(hc->out, iov[i].iov_base, iov[i].iov_len) != 0) {
                                hconn_close(hc);
                                return -1;
                        }
        }
        if (!queued)
                event_active(&hc->wev, EV_WRITE, 1);
        hconn_set_phase(hc, HCONN_WRITING);
        return 0;
}

/* The dispatched request is over: its bytes leave the buffer, and what the
 * client pipelined behind it moves to the front. */
static void
hconn_consume(struct hconn *hc)
{
        if (hc->saved_valid)
                hc->in[hc->used] = hc->saved;
        hc->saved_valid = 0;
        if (hc->in != NULL && hc->used < hc->len)
                memmove(hc->in, hc->in + hc->used, hc->len - hc->used);
        hc->len = hc->used < hc->len ? hc->len - hc->used : 0;
        hc->used = 0;
        hc->scan = 0;
        hc->have_head = 0;
}

/* The error code of a status the server answers itself. */
static const char *
hconn_status_code(int status)
{
        switch (status) {
        case 408:
                return "request_timeout";
        case 413:
                return "payload_too_large";
        case 417:
                return "expectation_failed";
        case 431:
                return "request_header_fields_too_large";
        case 501:
                return "not_implemented";
        case 505:
                return "http_version_not_supported";
        default:
                return "bad_request";
        }
}

/* Answers a request the server refuses itself (malformed, too large, too
 * slow), then closes: the rest of what the client sent cannot be trusted to
 * start a request. */
static void
hconn_refuse(struct hconn *hc, int status, const char *message)
{
        char body[512];
        int n = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                         hconn_status_code(status), message);
        if (n < 0 || (size_t)n >= sizeof(body))
                n = 0;
        static const char *const names[] = {"Content-Type", "Cache-Control"};
        static const char *const values[] = {"application/json", "no-store"};
        struct hreply_fields f = {names, values, 2};
        char head[HREPLY_HEAD_MAX];
        hc->close_after = 1;
        hc->head_only = 0;
        hc->have_head = 0;
        size_t hl = hreply_head(head, sizeof(head), status, &f, (size_t)n, HREPLY_CLOSE);
        struct iovec iov[2] = {{head, hl}, {body, (size_t)n}};
        if (hconn_send(hc, iov, 2) != 0)
                return;
        if (hc->phase != HCONN_WRITING)
                hconn_after_write(hc);
}

void
hconn_fail(struct hconn *hc, int status, const char *message)
{
        hc->in_process = 1;
        hconn_refuse(hc, status, message);
        hc->in_process = 0;
        hconn_maybe_free(hc);
}

/* Parses what has arrived of the request at the buffer's start and, once it
 * is whole, dispatches it. 1: dispatched; 0: more must arrive; -1: refused
 * or failed. */
static int
hconn_step(struct hconn *hc)
{
        struct hconns *hs = hc->hs;
        if (!hc->have_head) {
                size_t hl = hparse_head_end(hc->in, hc->len, &hc->scan);
                if (hl == 0 && hc->len < HCONN_HEAD_MAX) {
                        if (hc->len == hc->cap && hconn_buf_grow(hc, hc->cap * 2 < HCONN_HEAD_MAX
                                                                         ? hc->cap * 2
                                                                         : HCONN_HEAD_MAX) != 0) {
                                hconn_close(hc);
                                return -1;
                        }
                        return 0;
                }
                if (hl == 0 || hl > HCONN_HEAD_MAX) {
                        hconn_refuse(hc, 431, "the request head is over 16 KiB");
                        return -1;
                }
                const char *why = "malformed request";
                int st = hparse_head(hc->in, hl, &hc->req, &why);
                /* RFC 9112 3.2: an HTTP/1.1 request names one host. */
                if (st == 0 && hc->req.minor == 1 &&
                    hparse_header_count(hc->in, &hc->req, "host") != 1) {
                        st = 400;
                        why = "an HTTP/1.1 request needs exactly one Host header";
                }
                if (st != 0) {
                        hconn_refuse(hc, st, why);
                        return -1;
                }
                hc->have_head = 1;
                hc->continued = 0;
                if (hc->req.chunked) {
                        hparse_chunks_init(&hc->ch, hl, hs->max_body);
                } else if (hc->req.content_length > (int64_t)hs->max_body) {
                        /* From the head alone, before a byte of the body. */
                        hconn_refuse(hc, 413, "the request body is larger than max_body_bytes");
                        return -1;
                } else if (hconn_buf_grow(hc, hl +
                                                  (size_t)(hc->req.content_length > 0
                                                               ? hc->req.content_length
                                                               : 0) +
                                                  1) != 0) {
                        hconn_close(hc);
                        return -1;
                }
        }
        size_t hl = hc->req.head_len, end, next;
        if (hc->req.chunked) {
                int r = hparse_chunks(hc->in, hc->len, &hc->ch);
                if (r == 413 || r == 400) {
                        hconn_refuse(hc, r,
                                     r == 413 ? "the request body is larger than max_body_bytes"
                                              : "malformed chunked body");
                        return -1;
                }
                if (r == 0) {
                        if (hc->len == hc->cap &&
                            (hc->cap >= hl + hs->max_body + HCONN_CHUNK_SLACK ||
                             hconn_buf_grow(hc, hc->cap * 2) != 0)) {
                                hconn_refuse(hc, 413,
                                             "the request body is larger than max_body_bytes");
                                return -1;
                        }
                        goto wait;
                }
                end = hc->ch.out; /* the framing after it is spent: room for the NUL */
                next = hc->ch.in;
        } else {
                end = next = hl + (size_t)(hc->req.content_length > 0 ? hc->req.content_length : 0);
                if (hc->len < end)
                        goto wait;
        }
        hc->body_len = end - hl;
        hc->used = next;
        hc->saved_valid = end < hc->len && end == next;
        if (hc->saved_valid)
                hc->saved = hc->in[end];
        hc->in[end] = '\0';
        hc->held = 1;
        hc->head_only = strcmp(hc->in + hc->req.method.off, "HEAD") == 0;
        hc->close_after = !hc->req.keep_alive;
        hconn_set_phase(hc, HCONN_BUSY);
        hs->dispatch(hc, hs->dispatch_arg);
        return 1;
wait:
        if (hc->req.expect_continue && !hc->continued) {
                /* The client waits for this before it sends the body. */
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                hc->continued = 1;
                /* Not an answer (nothing waits behind it): written now; a
                 * socket that cannot take 25 bytes has a client that will
                 * send its body after its own wait anyway. */
                if (send(hc->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
                    errno != EAGAIN && errno != EWOULDBLOCK) {
                        hconn_close(hc);
                        return -1;
                }
        }
        return 0;
}

static void
hconn_process(struct hconn *hc)
{
        if (hc->in_process)
                return;
        hc->in_process = 1;
        while (!hc->closed && !hc->held && hc->phase != HCONN_WRITING &&
               hc->phase != HCONN_LINGER && hc->len > 0)
                if (hconn_step(hc) <= 0)
                        break;
        hc->in_process = 0;
        if (hc->closed) {
                hconn_maybe_free(hc);
                return;
        }
        if (!hc->held && hc->phase != HCONN_WRITING && hc->phase != HCONN_LINGER) {
                if (hc->eof) {
                        /* The client sent all it will: what is left can
                         * never become a request. */
                        hconn_close(hc);
                        return;
                }
                if (hc->len == 0) {
                        if (hc->phase != HCONN_IDLE)
                                hconn_set_phase(hc, HCONN_IDLE);
                        hconn_buf_put(hc);
                }
                hconn_read_on(hc);
        }
}

/* The answer is out: close, or go on with the next request. */
static void
hconn_after_write(struct hconn *hc)
{
        if (hc->close_after) {
                if (hc->len == 0 && !hc->eof) {
                        hconn_close(hc);
                        return;
                }
                /* Unread bytes would make the kernel answer them with a reset,
                 * which can destroy the answer before the client reads it. */
                shutdown(hc->fd, SHUT_WR);
                hconn_buf_put(hc);
                hc->lingered = 0;
                hconn_set_phase(hc, HCONN_LINGER);
                if (hc->eof) {
                        hconn_close(hc);
                        return;
                }
                hconn_read_on(hc);
                return;
        }
        hconn_set_phase(hc, hc->len > 0 ? HCONN_READING : HCONN_IDLE);
        hconn_process(hc);
}

static void
hconn_read_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)what;
        struct hconn *hc = arg;
        if (hc->phase == HCONN_LINGER) {
                char junk[4096];
                ssize_t n = read(fd, junk, sizeof(junk));
                if (n > 0)
                        hc->lingered += (size_t)n;
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
                    hc->lingered > HCONN_LINGER_BYTES)
                        hconn_close(hc);
                return;
        }
        if (hc->held || hc->phase == HCONN_WRITING) {
                /* Nothing is read behind an answer not yet given; look only
                 * whether the client is still there. */
                char b;
                ssize_t n = recv(fd, &b, 1, MSG_PEEK);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n < 0) {
                        hconn_close(hc);
                        return;
                }
                /* A client that only stopped sending still gets its answer. */
                hc->eof = n == 0;
                hconn_read_off(hc);
                return;
        }
        if (hconn_buf_get(hc) != 0) {
                hconn_close(hc);
                return;
        }
        ssize_t n = read(fd, hc->in + hc->len, hc->cap - hc->len);
        if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                hconn_close(hc);
                return;
        }
        if (hc->phase == HCONN_IDLE)
                hconn_set_phase(hc, HCONN_READING);
        hc->len += (size_t)n;
        hconn_process(hc);
}

/* Writes what hconn_send queued (at the end of the turn that queued it) or
 * what the socket did not take then (when it becomes writable). */
static void
hconn_write_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)what;
        struct hconn *hc = arg;
        if (hc->olen > hc->ooff) {
                ssize_t n = write(fd, hc->obuf + hc->ooff, hc->olen - hc->ooff);
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        hconn_close(hc);
                        return;
                }
                if (n > 0)
                        hc->ooff += (size_t)n;
                if (hc->ooff < hc->olen) {
                        hc->since_ms = hconn_now_ms(); /* the write deadline restarts */
                        event_add(&hc->wev, NULL);
                        return;
                }
                hconn_obuf_put(hc);
        }
        if (hc->out != NULL && evbuffer_get_length(hc->out) > 0) {
                int n = evbuffer_write(hc->out, fd);
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        hconn_close(hc);
                        return;
                }
                if (evbuffer_get_length(hc->out) > 0) {
                        hc->since_ms = hconn_now_ms();
                        event_add(&hc->wev, NULL);
                        return;
                }
        }
        event_del(&hc->wev);
        if (hc->stream && hc->held) {
                hc->phase = HCONN_BUSY;
                void (*cb)(void *) = hc->drain_cb;
                hc->drain_cb = NULL;
                if (cb != NULL)
                        cb(hc->drain_arg);
                return;
        }
        hconn_after_write(hc);
}

struct hconn *
hconn_new(struct hconns *hs, int fd, const struct sockaddr *peer, socklen_t peerlen)
{
        struct hconn *hc = malloc(sizeof(*hc));
        if (hc == NULL) {
                close(fd);
                return NULL;
        }
        memset(hc, 0, offsetof(struct hconn, ch));
        hc->hs = hs;
        hc->fd = fd;
        hc->req.minor = 1;
        if (peerlen > sizeof(hc->peer))
                peerlen = sizeof(hc->peer);
        memcpy(&hc->peer, peer, peerlen);
        hc->peerlen = peerlen;
        event_assign(&hc->rev, hs->base, fd, EV_READ | EV_PERSIST, hconn_read_cb, hc);
        event_assign(&hc->wev, hs->base, fd, EV_WRITE | EV_PERSIST, hconn_write_cb, hc);
        if (event_add(&hc->rev, NULL) != 0) {
                close(fd);
                free(hc);
                return NULL;
        }
        /* Answers are whole when written; a pipelined one must not wait for
         * the client to acknowledge the one before. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        hc->prev = NULL;
        hc->next = hs->head;
        if (hs->head != NULL)
                hs->head->prev = hc;
        hs->head = hc;
        hs->count++;
        atomic_fetch_add_explicit(&hconn_open, 1, memory_order_relaxed);
        hconn_set_phase(hc, HCONN_IDLE);
        return hc;
}

const char *
hconn_method(const struct hconn *hc)
{
        return hc->in + hc->req.method.off;
}

const char *
hconn_path(const struct hconn *hc)
{
        return hc->in + hc->req.path.off;
}

const char *
hconn_query(const struct hconn *hc)
{
        return hc->req.query.off != 0 ? hc->in + hc->req.query.off : NULL;
}

const char *
hconn_header(const struct hconn *hc, const char *name)
{
        return hparse_header(hc->in, &hc->req, name);
}

int
hconn_header_count(const struct hconn *hc, const char *name)
{
        return hparse_header_count(hc->in, &hc->req, name);
}

const char *
hconn_body(const struct hconn *hc, size_t *len)
{
        *len = hc->body_len;
        return hc->in + hc->req.head_len;
}

void
hconn_peer(const struct hconn *hc, char *buf, size_t size)
{
        const struct sockaddr *sa = (const struct sockaddr *)&hc->peer;
        const void *addr = NULL;
        if (sa->sa_family == AF_INET)
                addr = &((const struct sockaddr_in *)sa)->sin_addr;
        else if (sa->sa_family == AF_INET6)
                addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (addr == NULL || inet_ntop(sa->sa_family, addr, buf, (socklen_t)size) == NULL)
                snprintf(buf, size, "unknown");
}

void
hconn_reply(struct hconn *hc, int status, const struct hreply_fields *f, const void *body,
            size_t len)
{
        hc->held = 0;
        if (hc->closed) {
                hconn_maybe_free(hc);
                return;
        }
        char head[HREPLY_HEAD_MAX];
        int flags = hc->close_after ? HREPLY_CLOSE : hc->req.minor == 0 ? HREPLY_KEEP_ALIVE : 0;
        int bodiless = hc->head_only || status == 204 || status == 304;
        size_t hl = hreply_head(head, sizeof(head), status, f, len,
                                flags | (status == 204 || status == 304 ? HREPLY_NO_LENGTH : 0));
        hconn_consume(hc);
        struct iovec iov[2] = {{head, hl}, {(void *)body, bodiless ? 0 : len}};
        int keep = hc->in_process; /* the caller's loop frees it, not us */
        hc->in_process = 1;
        if (hconn_send(hc, iov, len > 0 && !bodiless ? 2 : 1) == 0 && hc->phase != HCONN_WRITING) {
                hc->in_process = keep;
                hconn_after_write(hc);
                return;
        }
        hc->in_process = keep;
        hconn_maybe_free(hc);
}

void
hconn_stream_start(struct hconn *hc, int status, const struct hreply_fields *f)
{
        if (hc->closed)
                return;
        char head[HREPLY_HEAD_MAX];
        size_t hl = hreply_head(head, sizeof(head), status, f, 0, HREPLY_CLOSE | HREPLY_CHUNKED);
        hc->stream = 1;
        hc->close_after = 1;
        if ((hc->out == NULL && (hc->out = evbuffer_new()) == NULL) ||
            evbuffer_add(hc->out, head, hl) != 0) {
                hconn_close(hc);
                return;
        }
        event_add(&hc->wev, NULL);
        hconn_set_phase(hc, HCONN_WRITING);
}

void
hconn_stream_chunk(struct hconn *hc, struct evbuffer *buf, void (*cb)(void *), void *arg)
{
        size_t n = evbuffer_get_length(buf);
        if (hc->closed) {
                evbuffer_drain(buf, n);
                return;
        }
        char line[24];
        int ln = snprintf(line, sizeof(line), "%zx\r\n", n);
        if (n > 0 &&
            (evbuffer_add(hc->out, line, (size_t)ln) != 0 ||
             evbuffer_add_buffer(hc->out, buf) != 0 || evbuffer_add(hc->out, "\r\n", 2) != 0)) {
                hconn_close(hc);
                return;
        }
        hc->drain_cb = cb;
        hc->drain_arg = arg;
        event_add(&hc->wev, NULL);
        if (hc->phase != HCONN_WRITING)
                hconn_set_phase(hc, HCONN_WRITING);
}

int
hconn_stream_alive(const struct hconn *hc)
{
        return !hc->closed;
}

void
hconn_stream_end(struct hconn *hc, int ok)
{
        hc->held = 0;
        hc->drain_cb = NULL;
        if (hc->closed) {
                hconn_maybe_free(hc);
                return;
        }
        if (!ok || evbuffer_add(hc->out, "0\r\n\r\n", 5) != 0) {
                hconn_close(hc);
                return;
        }
        hconn_consume(hc);
        hc->len = 0; /* a stream's connection closes: nothing after it is read */
        event_add(&hc->wev, NULL);
        hconn_set_phase(hc, HCONN_WRITING);
}
