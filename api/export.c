#include "export.h"

#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "dbq.h"
#include "export_kinds.h"
#include "handler.h"
#include "log.h"
#include "worker_state.h"

struct export_stream {
        struct http_ctx *c; /* owned: freed with the stream */
        const struct export_kind *kind;
        const char *store; /* c->cfg's, held by c */
        struct listq q;
        struct evbuffer *pending; /* formatted, not yet handed to the connection */
        char cursor_ts[LISTQ_TS], cursor_id[LISTQ_ID];
        int inflight; /* a page statement is out: its callback frees a stream that ended */
        int writing;  /* a chunk is queued in the connection, its drain callback to come */
        int done;     /* the last page came */
        int started;  /* the status line went: errors now cut the connection */
        int ended;    /* the HTTP side is over */
        long long rows;
        struct event *watch; /* notices a client gone while nothing else would */
        struct export_stream *prev, *next;
};

/* Every open stream, for export_worker_stop. */
static pthread_mutex_t export_lock = PTHREAD_MUTEX_INITIALIZER;
static struct export_stream *export_streams;

static void export_pump(struct export_stream *s);

int
export_wants_csv(const struct http_ctx *c)
{
        const char *a = http_header(c, "Accept");
        if (a == NULL)
                return 0;
        /* The q of each media range named exactly; * / * and text / * choose
         * nothing: JSON stays the default. */
        double q_csv = 0, q_json = 0;
        int csv_first = 0, seen = 0;
        for (const char *p = a; *p != '\0';) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                size_t n = strcspn(p, ",");
                char range[128];
                snprintf(range, sizeof(range), "%.*s", (int)(n < 127 ? n : 127), p);
                p += n;
                double q = 1;
                char *semi = strchr(range, ';');
                if (semi != NULL) {
                        *semi = '\0';
                        const char *qs = strstr(semi + 1, "q=");
                        if (qs != NULL)
                                q = strtod(qs + 2, NULL);
                }
                for (char *e = range + strlen(range); e > range && (e[-1] == ' ' || e[-1] == '\t');)
                        *--e = '\0';
                if (strcasecmp(range, "text/csv") == 0 && q > q_csv) {
                        q_csv = q;
                        csv_first = !seen;
                        seen = 1;
                } else if (strcasecmp(range, "application/json") == 0 && q > q_json) {
                        q_json = q;
                        seen = 1;
                }
        }
        return q_csv > 0 && (q_csv > q_json || (q_csv == q_json && csv_first));
}

static void
export_free(struct export_stream *s)
{
        listq_free(&s->q);
        if (s->pending != NULL)
                evbuffer_free(s->pending);
        http_ctx_free(s->c);
        free(s);
}

/* Ends the HTTP side once (ok: the body is whole), then frees the stream
 * unless a page statement is still out (its callback frees it). */
static void
export_end(struct export_stream *s, int ok)
{
        if (!s->ended) {
                s->ended = 1;
                if (s->watch != NULL)
                        event_free(s->watch);
                s->watch = NULL;
                pthread_mutex_lock(&export_lock);
                if (s->prev != NULL)
                        s->prev->next = s->next;
                else
                        export_streams = s->next;
                if (s->next != NULL)
                        s->next->prev = s->prev;
                pthread_mutex_unlock(&export_lock);
                if (s->started) {
                        char rows[24];
                        snprintf(rows, sizeof(rows), "%lld", s->rows);
                        if (ok)
                                log_info("export sent", "request_id", s->c->request_id, "kind",
                                         s->kind->name, "rows", rows);
                        else
                                log_warn("export cut short", "request_id", s->c->request_id, "kind",
                                         s->kind->name, "rows", rows);
                        http_stream_end(s->c, ok);
                }
        }
        if (!s->inflight)
                export_free(s);
}

/* One page of rows: formatted into pending, the cursor moved past it. */
static void
export_page_cb(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)constraint;
        struct export_stream *s = arg;
        s->inflight = 0;
        if (s->ended) {
                export_free(s);
                return;
        }
        if (r == NULL) {
                if (!s->started)
                        handler_async_error(s->c, err); /* nothing sent yet: a plain error */
                else
                        log_warn("export page failed", "request_id", s->c->request_id, "kind",
                                 db_err_name(err));
                export_end(s, 0);
                return;
        }
        int n = PQntuples(r), nc = s->kind->ncols;
        for (int i = 0; i < n; i++) {
                if (csv_row(s->pending, r, i, s->kind->kinds, nc) != 0) {
                        if (!s->started)
                                http_error(s->c, 500, "internal", "cannot format the export");
                        export_end(s, 0);
                        return;
                }
        }
        s->rows += n;
        if (n > 0) {
                snprintf(s->cursor_ts, sizeof(s->cursor_ts), "%s", PQgetvalue(r, n - 1, nc));
                snprintf(s->cursor_id, sizeof(s->cursor_id), "%s", PQgetvalue(r, n - 1, nc + 1));
        }
        s->done = n < EXPORT_PAGE_ROWS;
        export_pump(s);
}

/* Asks for the next page. 0, or -1 when no pipeline would take it. */
static int
export_fetch(struct export_stream *s)
{
        char limit[16];
        snprintf(limit, sizeof(limit), "%d", EXPORT_PAGE_ROWS);
        const char *p[LISTQ_PARAMS];
        int n = listq_params(&s->q, s->store, s->cursor_ts, s->cursor_id, limit, p);
        struct dbq *q = handler_pipeline(s->c->worker);
        if (q == NULL || dbq_submit(q, s->kind->stmt, n, p, export_page_cb, s) != 0)
                return -1;
        s->inflight = 1;
        return 0;
}

static void
export_drained_cb(void *arg)
{
        struct export_stream *s = arg;
        s->writing = 0;
        export_pump(s);
}

/* Once a second: a client that left while its chunk was queued never
 * drains it; the connection notices only when a write fails or times out. */
static void
export_watch_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct export_stream *s = arg;
        if (!http_stream_alive(s->c))
                export_end(s, 0);
}

/* Moves the stream on: starts the reply with the first page, hands the
 * formatted page to the connection once the last one drained, asks for the next
 * page once this one is handed over, ends after the last. */
static void
export_pump(struct export_stream *s)
{
        struct http_ctx *c = s->c;
        if (!s->started) {
                char disp[160];
                snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%s.csv\"", s->store,
                         s->kind->name);
                http_add_header(c, "Content-Disposition", disp);
                http_stream_start(c, 200, "text/csv; charset=utf-8");
                s->started = 1;
                s->watch = event_new(c->worker->base, -1, EV_PERSIST, export_watch_cb, s);
                if (s->watch == NULL || event_add(s->watch, &(struct timeval){1, 0}) != 0) {
                        export_end(s, 0);
                        return;
                }
        }
        if (!http_stream_alive(c)) {
                export_end(s, 0);
                return;
        }
        if (!s->writing && evbuffer_get_length(s->pending) > 0) {
                s->writing = 1;
                http_stream_chunk(c, s->pending, export_drained_cb, s);
        }
        if (!s->inflight && !s->done && evbuffer_get_length(s->pending) == 0 &&
            export_fetch(s) != 0) {
                log_warn("export page not sent: no database pipeline", "request_id", c->request_id);
                export_end(s, 0);
                return;
        }
        if (s->done && !s->inflight && !s->writing && evbuffer_get_length(s->pending) == 0)
                export_end(s, 1);
}

static void
export_start(struct http_ctx *c, const struct export_kind *kind)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, kind->auth) == AUTH_ROLE_NONE)
                return;
        struct export_stream *s = calloc(1, sizeof(*s));
        if (s == NULL || (s->pending = evbuffer_new()) == NULL) {
                free(s);
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        if (listq_parse(c, kind->listq, 1, &s->q) != 0) {
                listq_free(&s->q);
                evbuffer_free(s->pending);
                free(s);
                return;
        }
        s->c = c;
        s->kind = kind;
        s->store = store->id;
        memcpy(s->cursor_ts, s->q.cursor_ts, sizeof(s->cursor_ts));
        memcpy(s->cursor_id, s->q.cursor_id, sizeof(s->cursor_id));
        /* The header line leaves with the first page, which decides between
         * a 200 and an error. */
        if (evbuffer_add(s->pending, kind->header, strlen(kind->header)) != 0 ||
            export_fetch(s) != 0) {
                listq_free(&s->q);
                evbuffer_free(s->pending);
                free(s);
                http_error(c, 503, "database_unavailable", "the database is unavailable; retry");
                return;
        }
        c->async = 1; /* the stream replies and frees c */
        pthread_mutex_lock(&export_lock);
        s->next = export_streams;
        if (s->next != NULL)
                s->next->prev = s;
        export_streams = s;
        pthread_mutex_unlock(&export_lock);
}

void
export_invoices(struct http_ctx *c)
{
        export_start(c, &export_kinds_invoices);
}

void
export_refunds(struct http_ctx *c)
{
        export_start(c, &export_kinds_refunds);
}

void
export_payments(struct http_ctx *c)
{
        export_start(c, &export_kinds_payments);
}

void
export_payments_json(struct http_ctx *c)
{
        http_error(c, 406, "not_acceptable",
                   "payments are exported as CSV only: ask for Accept: text/csv, or GET "
                   "/v1/stores/%.64s/payments.csv",
                   c->params[0]);
}

void
export_worker_stop(struct worker *w)
{
        for (;;) {
                pthread_mutex_lock(&export_lock);
                struct export_stream *s = export_streams;
                while (s != NULL && s->c->worker != w)
                        s = s->next;
                pthread_mutex_unlock(&export_lock);
                if (s == NULL)
                        return;
                export_end(s, 0);
        }
}
