#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "worker_state.h"

/* The most a connection's input buffer holds before libevent stops reading
 * from the socket: the request line and headers (serve.c caps them at
 * 16 KiB) and a read's worth more. evhttp moves a body into the request as
 * it arrives; but while it writes an answer it reads without parsing, and a
 * client that pipelines without reading would otherwise grow this buffer
 * without bound. */
#define CONN_READ_HIGH (48 * 1024)
#define CONN_SWEEP_MS  250
#define CONN_LOG_EVERY 4 /* sweeps between summary log lines: one per second */
/* After accept() fails for want of descriptors or memory, listening stops
 * this long: libevent would otherwise call accept() again at once, forever. */
#define CONN_BACKOFF_MS 100
/* Descriptors kept out of max_connections: per worker its loop, its
 * listening socket, its database connections and a spare; for the process
 * the receiver's database and backend connections, logs and a margin. */
#define CONN_RESERVE_FDS        64
#define CONN_RESERVE_PER_WORKER 16
#define CONN_MIN_PER_WORKER     8
/* The descriptor table is sized from the open-files limit; past this, the
 * limit says nothing useful (RLIM_INFINITY) and the table would be large. */
#define CONN_MAX_FDS (1 << 20)

/* Written to a connection closed because its request took longer than
 * request_timeout_seconds to arrive, so that a slow but honest client
 * learns why (conn_table_init fills in the length). */
#define CONN_408_BODY                                                                              \
        "{\"error\":{\"code\":\"request_timeout\",\"message\":\"the request did not arrive "       \
        "within request_timeout_seconds\"}}"
static char conn_408[256];
static size_t conn_408_len;

struct conn {
        struct worker *w;
        struct bufferevent *bev;
        struct evhttp_connection *evcon; /* NULL while pending */
        struct evbuffer_cb_entry *input_cb;
        struct conn *prev, *next;
        int fd;
        int busy;         /* a request of it is with a handler */
        int reading;      /* part of a request arrived that has not reached a handler */
        int closed;       /* evhttp freed it while busy: only the handler's pointer is left */
        int64_t since_ms; /* accepted, answered, or its request began to arrive */
};

/* From a descriptor to its connection, for every worker: a descriptor is
 * open in one place at a time, so each slot has one writer at a time (the
 * worker that owns the descriptor). */
static _Atomic(struct conn *) *conn_by_fd;
static int conn_nfds;
static _Atomic unsigned long long conn_open_total, conn_evicted_total, conn_timed_out_total,
    conn_accept_errors_total;
/* The listener's error callback gets evhttp's argument, not ours. */
static _Thread_local struct worker *conn_self;

static int64_t
conn_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
conn_limit(const struct config *cfg, int *max_conns, char *err, size_t errsz)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
                snprintf(err, errsz, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
                return -1;
        }
        long long nofile = rl.rlim_cur == RLIM_INFINITY ? CONN_MAX_FDS : (long long)rl.rlim_cur;
        if (nofile > CONN_MAX_FDS)
                nofile = CONN_MAX_FDS;
        long long reserve = CONN_RESERVE_FDS + (long long)cfg->workers * CONN_RESERVE_PER_WORKER;
        long long room = nofile - reserve;
        if (cfg->max_connections == 0 && room < cfg->workers * CONN_MIN_PER_WORKER) {
                snprintf(err, errsz,
                         "the open-files limit is %lld, too low for %d workers: qpayd keeps %lld "
                         "for itself and needs %d connections per worker (raise LimitNOFILE or "
                         "ulimit -n)",
                         nofile, cfg->workers, reserve, CONN_MIN_PER_WORKER);
                return -1;
        }
        if (cfg->max_connections > room) {
                snprintf(err, errsz,
                         "max_connections = %d needs %lld open files (%lld kept for the database "
                         "and the backends); the limit is %lld: raise LimitNOFILE or ulimit -n, "
                         "or lower max_connections",
                         cfg->max_connections, cfg->max_connections + reserve, reserve, nofile);
                return -1;
        }
        *max_conns = cfg->max_connections > 0 ? cfg->max_connections : (int)room;
        if (*max_conns < cfg->workers)
                *max_conns = cfg->workers;
        return conn_table_init((int)nofile) == 0 ? 0 : (snprintf(err, errsz, "out of memory"), -1);
}

int
conn_table_init(int max_fds)
{
        conn_by_fd = calloc((size_t)max_fds, sizeof(*conn_by_fd));
        if (conn_by_fd == NULL)
                return -1;
        conn_nfds = max_fds;
        int n = snprintf(conn_408, sizeof(conn_408),
                         "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         sizeof(CONN_408_BODY) - 1, CONN_408_BODY);
        conn_408_len = n > 0 && (size_t)n < sizeof(conn_408) ? (size_t)n : 0;
        return 0;
}

void
conn_table_free(void)
{
        free((void *)conn_by_fd);
        conn_by_fd = NULL;
        conn_nfds = 0;
}

void
conn_stats(struct conn_stats *out)
{
        out->open = atomic_load_explicit(&conn_open_total, memory_order_relaxed);
        out->evicted = atomic_load_explicit(&conn_evicted_total, memory_order_relaxed);
        out->timed_out = atomic_load_explicit(&conn_timed_out_total, memory_order_relaxed);
        out->accept_errors = atomic_load_explicit(&conn_accept_errors_total, memory_order_relaxed);
}

static void
conn_pause(struct conns *cs)
{
        if (!cs->paused && cs->listener != NULL) {
                evconnlistener_disable(cs->listener);
                cs->paused = 1;
        }
}

static void
conn_resume(struct conns *cs)
{
        if (cs->paused && cs->listener != NULL && cs->count <= cs->cap &&
            !evtimer_pending(cs->resume_ev, NULL)) {
                evconnlistener_enable(cs->listener);
                cs->paused = 0;
        }
}

static void
conn_unlink(struct conns *cs, struct conn *c)
{
        if (c->prev != NULL)
                c->prev->next = c->next;
        else
                cs->head = c->next;
        if (c->next != NULL)
                c->next->prev = c->prev;
}

/* One connection fewer: room for the listener again. */
static void
conn_uncount(struct conns *cs)
{
        cs->count--;
        atomic_fetch_sub_explicit(&conn_open_total, 1, memory_order_relaxed);
        conn_resume(cs);
}

static void
conn_forget(struct conns *cs, struct conn *c)
{
        free(c);
        conn_uncount(cs);
}

/* evhttp is freeing the connection (answered with Connection: close, the
 * client left, a timeout, or conn_close). */
static void
conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
        (void)evcon;
        struct conn *c = arg;
        struct conns *cs = &c->w->conns;
        if (cs->closing == c)
                cs->closing = NULL;
        /* evhttp drains the buffer after this call: nothing may call us then. */
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
        atomic_store_explicit(&conn_by_fd[c->fd], NULL, memory_order_relaxed);
        conn_unlink(cs, c);
        /* A handler may still hold it (evhttp noticed the client leave):
         * then conn_replied frees it. */
        if (c->busy)
                c->closed = 1;
        else
                free(c);
        conn_uncount(cs);
}

/* Only for a connection no handler holds: evhttp owns its request. */
static void
conn_close(struct conn *c, const char *answer, size_t len)
{
        struct conns *cs = &c->w->conns;
        /* Best effort: the client is going away either way. */
        if (len > 0 && send(c->fd, answer, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                cs->last_send_errno = errno;
        cs->closing = c;
        evhttp_connection_free(c->evcon); /* calls conn_closed_cb, which frees c */
        if (cs->closing == c) {
                /* evhttp skipped the close callback: a connection it did not
                 * count as connected. Keep the count true anyway. */
                cs->closing = NULL;
                atomic_store_explicit(&conn_by_fd[c->fd], NULL, memory_order_relaxed);
                conn_unlink(cs, c);
                conn_forget(cs, c);
        }
}

static void
conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
        (void)buf;
        struct conn *c = arg;
        if (info->n_added > 0 && !c->busy && !c->reading) {
                c->reading = 1;
                c->since_ms = conn_now_ms();
        }
}

/* evhttp's hook for a new connection's bufferevent: the only place libevent
 * 2.1 tells qpayd that a connection was accepted. The connection object does
 * not exist yet; conn_adopt_cb finishes the record once it does. */
static struct bufferevent *
conn_accept_cb(struct event_base *base, void *arg)
{
        struct worker *w = arg;
        struct conns *cs = &w->conns;
        struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        struct conn *c = bev != NULL ? calloc(1, sizeof(*c)) : NULL;
        if (c == NULL)
                return bev; /* untracked; with NULL evhttp makes its own */
        c->w = w;
        c->bev = bev;
        c->fd = -1;
        bufferevent_incref(bev); /* kept until adopted: evhttp may free it first */
        c->next = cs->pending;
        cs->pending = c;
        cs->count++;
        atomic_fetch_add_explicit(&conn_open_total, 1, memory_order_relaxed);
        event_active(cs->adopt_ev, EV_READ, 0);
        /* Ends libevent's accept loop: conn_adopt_cb makes room first. */
        if (cs->count > cs->cap)
                conn_pause(cs);
        return bev;
}

/* The connection that has gone longest without progress and that no handler
 * holds: an idle keep-alive connection or one still sending its request. */
static struct conn *
conn_victim(struct conns *cs)
{
        struct conn *v = NULL;
        for (struct conn *c = cs->head; c != NULL; c = c->next)
                if (!c->busy && (v == NULL || c->since_ms <= v->since_ms))
                        v = c;
        return v;
}

static void
conn_adopt_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        struct conns *cs = &w->conns;
        int64_t now = conn_now_ms();
        struct conn *c;
        while ((c = cs->pending) != NULL) {
                cs->pending = c->next;
                /* evhttp's callbacks carry its connection object; after
                 * bufferevent_free they are all NULL. */
                void *evcon = NULL;
                bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
                int sfd = bufferevent_getfd(c->bev);
                struct bufferevent *bev = c->bev;
                if (evcon == NULL || sfd < 0 || sfd >= conn_nfds) {
                        conn_forget(cs, c);
                        bufferevent_decref(bev);
                        continue;
                }
                c->evcon = evcon;
                c->fd = sfd;
                c->since_ms = now;
                c->reading = evbuffer_get_length(bufferevent_get_input(bev)) > 0;
                c->input_cb = evbuffer_add_cb(bufferevent_get_input(bev), conn_input_cb, c);
                bufferevent_setwatermark(bev, EV_READ, 0, CONN_READ_HIGH);
                evhttp_connection_set_closecb(c->evcon, conn_closed_cb, c);
                atomic_store_explicit(&conn_by_fd[sfd], c, memory_order_relaxed);
                c->prev = NULL;
                c->next = cs->head;
                if (cs->head != NULL)
                        cs->head->prev = c;
                cs->head = c;
                bufferevent_decref(bev);
        }
        /* At the cap a new connection takes the place of the one that has
         * waited longest (nginx reuses idle keep-alive connections the same
         * way), so idle or trickling clients cannot lock others out. */
        struct conn *v;
        while (cs->count > cs->cap && (v = conn_victim(cs)) != NULL) {
                cs->evicted++;
                atomic_fetch_add_explicit(&conn_evicted_total, 1, memory_order_relaxed);
                conn_close(v, NULL, 0);
        }
        conn_resume(cs); /* stays off while every connection is busy */
}

static void
conn_log_flush(struct conns *cs, int index)
{
        char n[24], wk[24], cap[24];
        if (cs->evicted > 0)
                log_warn("at max_connections: closed the connections idle longest", "count",
                         log_i64(n, (int64_t)cs->evicted), "worker", log_i64(wk, index), "cap",
                         log_i64(cap, cs->cap));
        if (cs->timed_out > 0)
                log_warn("closed connections whose request took longer than "
                         "request_timeout_seconds",
                         "count", log_i64(n, (int64_t)cs->timed_out), "worker", log_i64(wk, index));
        if (cs->accept_errors > 0)
                log_warn("accept failed; paused accepting", "count",
                         log_i64(n, (int64_t)cs->accept_errors), "error",
                         strerror(cs->last_accept_errno), "worker", log_i64(wk, index));
        cs->evicted = cs->timed_out = cs->accept_errors = 0;
}

/* Closes the connections whose request has been arriving for longer than
 * request_timeout_seconds: evhttp's own timeout restarts on every byte, so
 * a client sending one byte a second would hold a connection forever. */
static void
conn_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        struct conns *cs = &w->conns;
        int64_t now = conn_now_ms();
        struct conn *next;
        for (struct conn *c = cs->head; c != NULL; c = next) {
                next = c->next;
                if (!c->busy && c->reading && now - c->since_ms >= cs->request_timeout_ms) {
                        cs->timed_out++;
                        atomic_fetch_add_explicit(&conn_timed_out_total, 1, memory_order_relaxed);
                        conn_close(c, conn_408, conn_408_len);
                }
        }
        if (++cs->sweeps % CONN_LOG_EVERY == 0)
                conn_log_flush(cs, w->index);
}

static void
conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct worker *w = arg;
        conn_resume(&w->conns);
}

static void
conn_accept_error_cb(struct evconnlistener *lev, void *arg)
{
        (void)arg;
        int err = errno;
        struct worker *w = conn_self;
        if (w == NULL)
                return;
        struct conns *cs = &w->conns;
        cs->accept_errors++;
        cs->last_accept_errno = err;
        atomic_fetch_add_explicit(&conn_accept_errors_total, 1, memory_order_relaxed);
        /* Out of descriptors, the waiting connection stays in the backlog
         * and its client hangs: close it through the spare descriptor. */
        if ((err == EMFILE || err == ENFILE) && cs->spare_fd >= 0) {
                close(cs->spare_fd);
                int fd = accept4(evconnlistener_get_fd(lev), NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                        close(fd);
                cs->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        conn_pause(cs);
        struct timeval back = {0, CONN_BACKOFF_MS * 1000};
        evtimer_add(cs->resume_ev, &back);
}

int
conn_init(struct worker *w, int cap, int request_timeout_seconds)
{
        struct conns *cs = &w->conns;
        memset(cs, 0, sizeof(*cs));
        cs->cap = cap;
        cs->request_timeout_ms = (int64_t)request_timeout_seconds * 1000;
        cs->listener = evhttp_bound_socket_get_listener(w->bound);
        cs->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        cs->adopt_ev = event_new(w->base, -1, 0, conn_adopt_cb, w);
        cs->sweep_ev = event_new(w->base, -1, EV_PERSIST, conn_sweep_cb, w);
        cs->resume_ev = evtimer_new(w->base, conn_resume_cb, w);
        if (cs->listener == NULL || cs->spare_fd < 0 || cs->adopt_ev == NULL ||
            cs->sweep_ev == NULL || cs->resume_ev == NULL)
                return -1;
        struct timeval every = {0, CONN_SWEEP_MS * 1000};
        if (event_add(cs->sweep_ev, &every) != 0)
                return -1;
        evconnlistener_set_error_cb(cs->listener, conn_accept_error_cb);
        evhttp_set_bevcb(w->http, conn_accept_cb, w);
        return 0;
}

void
conn_bind_thread(struct worker *w)
{
        conn_self = w;
}

void
conn_detach(struct worker *w)
{
        w->conns.listener = NULL;
}

void
conn_fini(struct worker *w)
{
        struct conns *cs = &w->conns;
        cs->listener = NULL; /* evhttp frees it */
        conn_log_flush(cs, w->index);
        struct conn *c;
        while ((c = cs->pending) != NULL) {
                cs->pending = c->next;
                struct bufferevent *bev = c->bev;
                conn_forget(cs, c);
                bufferevent_decref(bev);
        }
        if (cs->adopt_ev != NULL)
                event_free(cs->adopt_ev);
        if (cs->sweep_ev != NULL)
                event_free(cs->sweep_ev);
        if (cs->resume_ev != NULL)
                event_free(cs->resume_ev);
        cs->adopt_ev = cs->sweep_ev = cs->resume_ev = NULL;
        if (cs->spare_fd >= 0)
                close(cs->spare_fd);
        cs->spare_fd = -1;
}

struct conn *
conn_dispatched(struct evhttp_request *req)
{
        struct evhttp_connection *evcon = evhttp_request_get_connection(req);
        struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
        int fd = bev ? bufferevent_getfd(bev) : -1;
        if (fd < 0 || fd >= conn_nfds)
                return NULL;
        struct conn *c = atomic_load_explicit(&conn_by_fd[fd], memory_order_relaxed);
        if (c == NULL || c->evcon != evcon)
                return NULL;
        c->busy = 1;
        c->reading = 0;
        return c;
}

void
conn_replied(struct conn *c)
{
        if (c == NULL)
                return;
        if (c->closed) {
                free(c);
                return;
        }
        c->busy = 0;
        c->since_ms = conn_now_ms();
        /* A pipelined request may be waiting already: its clock runs now. */
        c->reading = evbuffer_get_length(bufferevent_get_input(c->bev)) > 0;
}
