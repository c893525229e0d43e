#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define CONN_SWEEP_MS  250
#define CONN_LOG_EVERY 4 /* sweeps between summary log lines: one per second */
/* After accept() fails for want of descriptors or memory, accepting stops
 * this long: the listening socket would otherwise wake the loop at once,
 * forever. */
#define CONN_BACKOFF_MS 100
/* Connections accepted per wake-up: the rest of the loop gets its turn. */
#define CONN_ACCEPT_BATCH 64
/* How long a closing connection reads what its client still sends. */
#define CONN_LINGER_MS 2000
/* Descriptors kept out of max_connections: per worker its loop, its
 * listening socket, its database connections and a spare; for the process
 * the receiver's database and backend connections, logs and a margin. */
#define CONN_RESERVE_FDS        64
#define CONN_RESERVE_PER_WORKER 16
#define CONN_MIN_PER_WORKER     8
/* Past this the open-files limit says nothing useful (RLIM_INFINITY). */
#define CONN_MAX_FDS (1 << 20)

static _Atomic unsigned long long conn_evicted_total, conn_timed_out_total,
    conn_accept_errors_total;

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
        return 0;
}

void
conn_stats(struct conn_stats *out)
{
        out->open = hconn_open_total();
        out->evicted = atomic_load_explicit(&conn_evicted_total, memory_order_relaxed);
        out->timed_out = atomic_load_explicit(&conn_timed_out_total, memory_order_relaxed);
        out->accept_errors = atomic_load_explicit(&conn_accept_errors_total, memory_order_relaxed);
}

static void
conn_pause(struct conns *cs)
{
        if (!cs->paused && cs->listen_fd >= 0) {
                event_del(cs->accept_ev);
                cs->paused = 1;
                cs->hs.want_room = 1;
        }
}

/* Accepting again, unless still at the cap or backing off after an error. */
static void
conn_resume(struct conns *cs)
{
        if (cs->paused && cs->listen_fd >= 0 && cs->hs.count < cs->cap &&
            !evtimer_pending(cs->resume_ev, NULL)) {
                event_add(cs->accept_ev, NULL);
                cs->paused = 0;
                cs->hs.want_room = 0;
        }
}

/* resume_ev (the back-off ended) and room_ev (a connection closed). */
static void
conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        conn_resume(arg);
}

/* At the cap a new connection takes the place of the one that has waited
 * longest without a handler (nginx reuses idle keep-alive connections the
 * same way), so idle or trickling clients cannot lock others out. 0 when
 * every connection is busy. */
static int
conn_make_room(struct conns *cs)
{
        struct hconn *v = NULL;
        for (struct hconn *c = cs->hs.head; c != NULL; c = hconn_next(c)) {
                enum hconn_phase p = hconn_phase(c);
                if ((p == HCONN_IDLE || p == HCONN_READING || p == HCONN_LINGER) &&
                    (v == NULL || hconn_since_ms(c) <= hconn_since_ms(v)))
                        v = c;
        }
        if (v == NULL)
                return 0;
        cs->evicted++;
        atomic_fetch_add_explicit(&conn_evicted_total, 1, memory_order_relaxed);
        hconn_close(v);
        return 1;
}

static void
conn_accept_error(struct conns *cs, int err)
{
        cs->accept_errors++;
        cs->last_accept_errno = err;
        atomic_fetch_add_explicit(&conn_accept_errors_total, 1, memory_order_relaxed);
        /* Out of descriptors, the waiting connection stays in the backlog
         * and its client hangs: close it through the spare descriptor. */
        if ((err == EMFILE || err == ENFILE) && cs->spare_fd >= 0) {
                close(cs->spare_fd);
                int fd = accept4(cs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                        close(fd);
                cs->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        conn_pause(cs);
        struct timeval back = {0, CONN_BACKOFF_MS * 1000};
        evtimer_add(cs->resume_ev, &back);
}

static void
conn_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
        (void)what;
        struct conns *cs = arg;
        for (int i = 0; i < CONN_ACCEPT_BATCH; i++) {
                if (cs->hs.count >= cs->cap && !conn_make_room(cs)) {
                        conn_pause(cs); /* resumes when one closes */
                        return;
                }
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                conn_accept_error(cs, errno);
                        return;
                }
                hconn_new(&cs->hs, fd, (struct sockaddr *)&ss, len);
        }
}

static void
conn_log_flush(struct conns *cs)
{
        char n[24], wk[24], cap[24];
        if (cs->evicted > 0)
                log_warn("at max_connections: closed the connections idle longest", "count",
                         log_i64(n, (int64_t)cs->evicted), "worker", log_i64(wk, cs->index), "cap",
                         log_i64(cap, cs->cap));
        if (cs->timed_out > 0)
                log_warn("closed connections whose request took longer than "
                         "request_timeout_seconds",
                         "count", log_i64(n, (int64_t)cs->timed_out), "worker",
                         log_i64(wk, cs->index));
        if (cs->accept_errors > 0)
                log_warn("accept failed; paused accepting", "count",
                         log_i64(n, (int64_t)cs->accept_errors), "error",
                         strerror(cs->last_accept_errno), "worker", log_i64(wk, cs->index));
        cs->evicted = cs->timed_out = cs->accept_errors = 0;
}

/* The deadlines, checked four times a second: a request that has been
 * arriving for longer than request_timeout_seconds (each byte it sends
 * would otherwise keep it alive), a connection idle or stalled in a write
 * for longer than timeout_seconds, a closing one that lingers. */
static void
conn_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct conns *cs = arg;
        int64_t now = hconn_now_ms();
        struct hconn *next;
        for (struct hconn *c = cs->hs.head; c != NULL; c = next) {
                next = hconn_next(c);
                int64_t age = now - hconn_since_ms(c);
                switch (hconn_phase(c)) {
                case HCONN_READING:
                        if (age >= cs->hs.request_ms) {
                                cs->timed_out++;
                                atomic_fetch_add_explicit(&conn_timed_out_total, 1,
                                                          memory_order_relaxed);
                                hconn_fail(c, 408,
                                           "the request did not arrive within "
                                           "request_timeout_seconds");
                        }
                        break;
                case HCONN_IDLE:
                case HCONN_WRITING:
                        if (age >= cs->hs.idle_ms)
                                hconn_close(c);
                        break;
                case HCONN_LINGER:
                        if (age >= CONN_LINGER_MS)
                                hconn_close(c);
                        break;
                case HCONN_BUSY:
                        break;
                }
        }
        if (++cs->sweeps % CONN_LOG_EVERY == 0)
                conn_log_flush(cs);
}

int
conn_init(struct conns *cs, struct event_base *base, int index, int listen_fd, int cap,
          const struct config *cfg, void (*dispatch)(struct hconn *, void *), void *arg)
{
        memset(cs, 0, sizeof(*cs));
        cs->index = index;
        cs->cap = cap;
        cs->listen_fd = listen_fd;
        cs->hs.base = base;
        cs->hs.max_body = (size_t)cfg->max_body_bytes;
        cs->hs.idle_ms = (int64_t)cfg->timeout_seconds * 1000;
        cs->hs.request_ms = (int64_t)cfg->http_request_timeout_seconds * 1000;
        cs->hs.dispatch = dispatch;
        cs->hs.dispatch_arg = arg;
        cs->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        cs->accept_ev = event_new(base, listen_fd, EV_READ | EV_PERSIST, conn_accept_cb, cs);
        cs->sweep_ev = event_new(base, -1, EV_PERSIST, conn_sweep_cb, cs);
        cs->resume_ev = evtimer_new(base, conn_resume_cb, cs);
        cs->room_ev = event_new(base, -1, 0, conn_resume_cb, cs);
        cs->hs.room_ev = cs->room_ev;
        if (cs->spare_fd < 0 || cs->accept_ev == NULL || cs->sweep_ev == NULL ||
            cs->resume_ev == NULL || cs->room_ev == NULL)
                return -1;
        struct timeval every = {0, CONN_SWEEP_MS * 1000};
        if (event_add(cs->sweep_ev, &every) != 0 || event_add(cs->accept_ev, NULL) != 0)
                return -1;
        return 0;
}

void
conn_stop_accepting(struct conns *cs)
{
        if (cs->listen_fd < 0)
                return;
        if (cs->accept_ev != NULL)
                event_del(cs->accept_ev);
        close(cs->listen_fd);
        cs->listen_fd = -1;
}

void
conn_fini(struct conns *cs)
{
        conn_stop_accepting(cs);
        conn_log_flush(cs);
        while (cs->hs.head != NULL)
                hconn_close(cs->hs.head);
        hconn_spares_free(&cs->hs);
        struct event *evs[] = {cs->accept_ev, cs->sweep_ev, cs->resume_ev, cs->room_ev};
        for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
                if (evs[i] != NULL)
                        event_free(evs[i]);
        cs->accept_ev = cs->sweep_ev = cs->resume_ev = cs->room_ev = NULL;
        cs->hs.room_ev = NULL;
        if (cs->spare_fd >= 0)
                close(cs->spare_fd);
        cs->spare_fd = -1;
}
