/* qpayd's HTTP/1.1 server side, one accepted connection at a time: reading
 * requests into one buffer and parsing them in place (hparse.h), handing each
 * to the worker's dispatcher, writing the answer with one system call, then
 * the next request (keep-alive, pipelining), or a streamed answer (the CSV
 * exports). It replaces libevent's evhttp, whose allocations and system
 * calls per request cost more than the rest of a /healthz answer
 * (docs/performance.md). The bounds against hostile clients (how many
 * connections, how long a request may take to arrive) are conn.c's: it
 * accepts, and sweeps the set kept here. Loop thread only, except the
 * request accessors, which a handler on the worker's database thread may
 * call while the request is its own. */
#ifndef QPAYD_API_HCONN_H
#define QPAYD_API_HCONN_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hparse.h"
#include "hreply.h"

struct hconn;

/* A worker's connections, and what its server needs to know to run them. */
struct hconns {
        struct event_base *base;
        struct hconn *head; /* every open connection */
        int count;
        size_t max_body;    /* [server] max_body_bytes */
        int64_t idle_ms;    /* [server] timeout_seconds: keep-alive and stalled writes */
        int64_t request_ms; /* [server] request_timeout_seconds: a whole request's arrival */
        /* Runs a complete request; hconn_reply (or a stream's end) hands the
         * connection back, now or later. */
        void (*dispatch)(struct hconn *hc, void *arg);
        void *dispatch_arg;
        struct event *room_ev; /* activated when a connection closes while want_room */
        int want_room;         /* conn.c stopped accepting at the cap */
        char *spare;           /* input buffers of idle connections, kept for reuse */
        int nspare;
};

/* Process-wide counts for /metrics. */
unsigned long long hconn_open_total(void);

/* A connection for fd (accepted, non-blocking; owned from now on) from
 * peer. NULL when out of memory (fd is then closed). */
struct hconn *hconn_new(struct hconns *hs, int fd, const struct sockaddr *peer, socklen_t peerlen);
/* Closes it now, without an answer (conn.c's eviction, shutdown). A
 * connection whose request is with a handler stays allocated until the
 * handler hands it back. */
void hconn_close(struct hconn *hc);
/* Answers status with a JSON error (its code follows from status: 408
 * request_timeout) and message, and closes: the request deadline's 408.
 * Only for a connection no handler holds. */
void hconn_fail(struct hconn *hc, int status, const char *message);
/* Frees the spare buffers (worker teardown, after every connection closed). */
void hconn_spares_free(struct hconns *hs);

/* What conn.c's sweep looks at. */
enum hconn_phase {
        HCONN_IDLE,    /* waiting for the next request */
        HCONN_READING, /* part of a request has arrived */
        HCONN_BUSY,    /* a handler has the request */
        HCONN_WRITING, /* an answer waits for the client to read */
        HCONN_LINGER,  /* answered and closing: reading what the client still sends */
};
enum hconn_phase hconn_phase(const struct hconn *hc);
/* When the phase began (CLOCK_MONOTONIC_COARSE, ms). */
int64_t hconn_since_ms(const struct hconn *hc);
struct hconn *hconn_next(const struct hconn *hc);
int64_t hconn_now_ms(void);

/* The request a handler holds (valid until it hands the connection back). */
const char *hconn_method(const struct hconn *hc);
const char *hconn_path(const struct hconn *hc);
const char *hconn_query(const struct hconn *hc); /* NULL: none */
const char *hconn_header(const struct hconn *hc, const char *name);
int hconn_header_count(const struct hconn *hc, const char *name);
/* The body (NUL-terminated; len bytes, which may include NULs). */
const char *hconn_body(const struct hconn *hc, size_t *len);
/* The client's address as text ("127.0.0.1", "::1"). */
void hconn_peer(const struct hconn *hc, char *buf, size_t size);

/* Answers the request with status, fields and len bytes of body (borrowed:
 * written or copied before this returns), and hands the connection back:
 * forget hc afterwards. HEAD gets the head only. */
void hconn_reply(struct hconn *hc, int status, const struct hreply_fields *f, const void *body,
                 size_t len);

/* A streamed answer: the head now (chunked, then the connection closes),
 * the body chunk by chunk. */
void hconn_stream_start(struct hconn *hc, int status, const struct hreply_fields *f);
/* Moves buf's content into the connection as one chunk; cb(arg) runs, in a
 * later callback, once the socket took everything queued. */
void hconn_stream_chunk(struct hconn *hc, struct evbuffer *buf, void (*cb)(void *), void *arg);
/* 1 while the client is still connected. */
int hconn_stream_alive(const struct hconn *hc);
/* Ends the stream and hands the connection back: ok sends the last chunk;
 * otherwise the connection is cut, so that the client sees an incomplete
 * body, never a short file that looks whole. */
void hconn_stream_end(struct hconn *hc, int ok);

#endif
