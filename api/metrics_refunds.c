#include "metrics_refunds.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbq.h"
#include "handler.h"
#include "log.h"
#include "statements.h"

/* The process's figures: rendered text, when read, whether a read is out. */
static pthread_mutex_t metrics_refunds_lock = PTHREAD_MUTEX_INITIALIZER;
static char *metrics_refunds_cache; /* NULL: never read, or the last read failed */
static int metrics_refunds_read;    /* a read finished (ok or not) */
static struct timespec metrics_refunds_at;
static int metrics_refunds_inflight;

struct metrics_refunds_wait {
        struct http_ctx *c;
        void (*done)(struct http_ctx *c);
};

static const char *const metrics_refunds_backends[] = {"lightning", "bitcoin"};
static const char *const metrics_refunds_statuses[] = {"pending", "processing", "succeeded",
                                                       "failed", "canceled"};

static long long
metrics_refunds_age_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (long long)(now.tv_sec - metrics_refunds_at.tv_sec) * 1000 +
               (now.tv_nsec - metrics_refunds_at.tv_nsec) / 1000000;
}

/* A label value as Prometheus wants it: \, " and newline escaped. */
static void
metrics_refunds_label(struct evbuffer *out, const char *v)
{
        for (; *v != '\0'; v++) {
                if (*v == '\\' || *v == '"')
                        evbuffer_add_printf(out, "\\%c", *v);
                else if (*v == '\n')
                        evbuffer_add(out, "\\n", 2);
                else
                        evbuffer_add(out, v, 1);
        }
}

/* The value of row (kind, a, b) in r, or "0". */
static const char *
metrics_refunds_find(const PGresult *r, const char *kind, const char *a, const char *b)
{
        for (int i = 0; i < PQntuples(r); i++)
                if (strcmp(PQgetvalue(r, i, 0), kind) == 0 && strcmp(PQgetvalue(r, i, 1), a) == 0 &&
                    (b == NULL || strcmp(PQgetvalue(r, i, 2), b) == 0))
                        return PQgetvalue(r, i, 3);
        return "0";
}

/* Every family with its samples together, as the format wants them. */
static char *
metrics_refunds_render(const PGresult *r)
{
        struct evbuffer *out = evbuffer_new();
        if (out == NULL)
                return NULL;
        evbuffer_add_printf(out, "# HELP qpayd_refunds Refunds in the database by payout backend "
                                 "and status.\n"
                                 "# TYPE qpayd_refunds gauge\n");
        for (int b = 0; b < 2; b++)
                for (int st = 0; st < 5; st++)
                        evbuffer_add_printf(
                            out, "qpayd_refunds{backend=\"%s\",status=\"%s\"} %s\n",
                            metrics_refunds_backends[b], metrics_refunds_statuses[st],
                            metrics_refunds_find(r, "refunds", metrics_refunds_backends[b],
                                                 metrics_refunds_statuses[st]));
        evbuffer_add_printf(out,
                            "# HELP qpayd_refund_oldest_age_seconds Age of the oldest pending "
                            "refund (since created) and processing one (since claimed); 0 when "
                            "there is none.\n"
                            "# TYPE qpayd_refund_oldest_age_seconds gauge\n"
                            "qpayd_refund_oldest_age_seconds{status=\"pending\"} %s\n"
                            "qpayd_refund_oldest_age_seconds{status=\"processing\"} %s\n",
                            metrics_refunds_find(r, "oldest", "pending", NULL),
                            metrics_refunds_find(r, "oldest", "processing", NULL));
        static const char *const fam[] = {"qpayd_payouts_total", "qpayd_payouts_in_flight"};
        static const char *const help[] = {
            "Payout attempts of every executor that finished, by backend and outcome "
            "(succeeded, failed, deferred, unknown).\n# TYPE qpayd_payouts_total counter\n",
            "Payout attempts started and not finished, by backend.\n"
            "# TYPE qpayd_payouts_in_flight gauge\n"};
        for (int f = 0; f < 2; f++) {
                evbuffer_add_printf(out, "# HELP %s %s", fam[f], help[f]);
                for (int i = 0; i < PQntuples(r); i++) {
                        if (strcmp(PQgetvalue(r, i, 0), "payouts") != 0 ||
                            (strcmp(PQgetvalue(r, i, 2), "in_flight") == 0) != f)
                                continue;
                        evbuffer_add_printf(out, "%s{backend=\"", fam[f]);
                        metrics_refunds_label(out, PQgetvalue(r, i, 1));
                        if (f == 0) {
                                evbuffer_add_printf(out, "\",outcome=\"");
                                metrics_refunds_label(out, PQgetvalue(r, i, 2));
                        }
                        evbuffer_add_printf(out, "\"} %s\n", PQgetvalue(r, i, 3));
                }
        }
        size_t len = evbuffer_get_length(out);
        char *text = malloc(len + 1);
        if (text != NULL) {
                evbuffer_remove(out, text, len);
                text[len] = '\0';
        }
        evbuffer_free(out);
        return text;
}

static void
metrics_refunds_cb(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)constraint;
        struct metrics_refunds_wait *wait = arg;
        char *text = r != NULL ? metrics_refunds_render(r) : NULL;
        if (r == NULL)
                log_warn("refund metrics not read", "kind", db_err_name(err));
        pthread_mutex_lock(&metrics_refunds_lock);
        free(metrics_refunds_cache);
        metrics_refunds_cache = text;
        metrics_refunds_read = 1;
        clock_gettime(CLOCK_MONOTONIC, &metrics_refunds_at);
        metrics_refunds_inflight = 0;
        pthread_mutex_unlock(&metrics_refunds_lock);
        wait->done(wait->c);
        free(wait);
}

int
metrics_refunds_refresh(struct http_ctx *c, void (*done)(struct http_ctx *c))
{
        pthread_mutex_lock(&metrics_refunds_lock);
        int stale = !metrics_refunds_read || metrics_refunds_age_ms() >= METRICS_REFUNDS_TTL_MS;
        /* One read at a time, but the first scrapes of a process each read:
         * with nothing cached they would show no figures at all. */
        int mine = stale && (!metrics_refunds_inflight || !metrics_refunds_read);
        if (mine)
                metrics_refunds_inflight = 1;
        pthread_mutex_unlock(&metrics_refunds_lock);
        if (!mine)
                return -1;
        struct dbq *q = handler_pipeline(c->worker);
        struct metrics_refunds_wait *wait = malloc(sizeof(*wait));
        if (wait != NULL) {
                wait->c = c;
                wait->done = done;
        }
        if (wait == NULL || q == NULL ||
            dbq_submit(q, STMT_METRICS_REFUNDS, 0, NULL, metrics_refunds_cb, wait) != 0) {
                free(wait);
                /* No database now: the figures are dropped, tried again
                 * after the TTL. */
                pthread_mutex_lock(&metrics_refunds_lock);
                free(metrics_refunds_cache);
                metrics_refunds_cache = NULL;
                metrics_refunds_read = 1;
                clock_gettime(CLOCK_MONOTONIC, &metrics_refunds_at);
                metrics_refunds_inflight = 0;
                pthread_mutex_unlock(&metrics_refunds_lock);
                return -1;
        }
        c->async = 1;
        return 0;
}

void
metrics_refunds_text(struct evbuffer *out)
{
        pthread_mutex_lock(&metrics_refunds_lock);
        if (metrics_refunds_cache != NULL)
                evbuffer_add(out, metrics_refunds_cache, strlen(metrics_refunds_cache));
        evbuffer_add_printf(out,
                            "# HELP qpayd_refund_metrics_up Whether the last read of the refund "
                            "figures (at most every %d s) succeeded.\n"
                            "# TYPE qpayd_refund_metrics_up gauge\n"
                            "qpayd_refund_metrics_up %d\n",
                            METRICS_REFUNDS_TTL_MS / 1000, metrics_refunds_cache != NULL);
        pthread_mutex_unlock(&metrics_refunds_lock);
}
