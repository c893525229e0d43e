#include "metrics.h"

#include "conn.h"
#include "hook_stats.h"
#include "lease.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Process-wide counters: relaxed atomics, since they only ever grow and a
 * scrape needs no snapshot consistency between them. */
static _Atomic unsigned long long metrics_requests[6]; /* by status / 100 */
static _Atomic unsigned long long metrics_db_errors;
static const char *const metrics_methods[] = {"lightning", "onchain", "manual"};
static const char *const metrics_states[] = {"seen", "credited", "removed"};
static _Atomic unsigned long long metrics_payments[3][3];
static const char *const metrics_webhook_results[] = {"accepted", "bad_signature", "invalid"};
static _Atomic unsigned long long metrics_webhooks[3];

static int
metrics_index(const char *const *names, const char *name)
{
        for (int i = 0; i < 3; i++)
                if (strcmp(names[i], name) == 0)
                        return i;
        return -1;
}

void
metrics_count_payment(const char *method, const char *state)
{
        int m = metrics_index(metrics_methods, method), st = metrics_index(metrics_states, state);
        if (m >= 0 && st >= 0)
                atomic_fetch_add_explicit(&metrics_payments[m][st], 1, memory_order_relaxed);
}

void
metrics_count_webhook(enum metrics_webhook result)
{
        if ((unsigned)result < 3)
                atomic_fetch_add_explicit(&metrics_webhooks[result], 1, memory_order_relaxed);
}

void
metrics_count_request(int status)
{
        int cls = status / 100;
        if (cls < 1 || cls > 5)
                cls = 0;
        atomic_fetch_add_explicit(&metrics_requests[cls], 1, memory_order_relaxed);
}

void
metrics_count_db_error(void)
{
        atomic_fetch_add_explicit(&metrics_db_errors, 1, memory_order_relaxed);
}

size_t
metrics_text(char *body, size_t size)
{
        size_t n = 0;
        n += (size_t)snprintf(body + n, size - n,
                              "# HELP qpayd_build_info qpayd version.\n"
                              "# TYPE qpayd_build_info gauge\n"
                              "qpayd_build_info{version=\"%s\"} 1\n"
                              "# HELP qpayd_http_requests_total Answered requests by status "
                              "class.\n"
                              "# TYPE qpayd_http_requests_total counter\n",
                              QPAYD_VERSION);
        static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 0; i < 6; i++)
                n += (size_t)snprintf(
                    body + n, size - n, "qpayd_http_requests_total{class=\"%s\"} %llu\n",
                    classes[i], atomic_load_explicit(&metrics_requests[i], memory_order_relaxed));
        n += (size_t)snprintf(body + n, size - n,
                              "# HELP qpayd_db_errors_total Database errors that reached a "
                              "request.\n"
                              "# TYPE qpayd_db_errors_total counter\n"
                              "qpayd_db_errors_total %llu\n"
                              "# HELP qpayd_payments_total Payments that changed state, by "
                              "method and new state.\n"
                              "# TYPE qpayd_payments_total counter\n",
                              atomic_load_explicit(&metrics_db_errors, memory_order_relaxed));
        for (int m = 0; m < 3; m++)
                for (int st = 0; st < 3; st++)
                        n += (size_t)snprintf(
                            body + n, size - n,
                            "qpayd_payments_total{method=\"%s\",state=\"%s\"} %llu\n",
                            metrics_methods[m], metrics_states[st],
                            atomic_load_explicit(&metrics_payments[m][st], memory_order_relaxed));
        n += (size_t)snprintf(body + n, size - n,
                              "# HELP qpayd_webhooks_total phoenixd webhooks by result.\n"
                              "# TYPE qpayd_webhooks_total counter\n");
        for (int i = 0; i < 3; i++)
                n += (size_t)snprintf(
                    body + n, size - n, "qpayd_webhooks_total{result=\"%s\"} %llu\n",
                    metrics_webhook_results[i],
                    atomic_load_explicit(&metrics_webhooks[i], memory_order_relaxed));
        struct conn_stats cst;
        conn_stats(&cst);
        n += (size_t)snprintf(
            body + n, size - n,
            "# HELP qpayd_connections_open Client connections open now.\n"
            "# TYPE qpayd_connections_open gauge\n"
            "qpayd_connections_open %llu\n"
            "# HELP qpayd_connections_evicted_total Connections closed at max_connections to "
            "make room.\n"
            "# TYPE qpayd_connections_evicted_total counter\n"
            "qpayd_connections_evicted_total %llu\n"
            "# HELP qpayd_requests_timed_out_total Connections closed with 408: the request "
            "took longer than request_timeout_seconds to arrive.\n"
            "# TYPE qpayd_requests_timed_out_total counter\n"
            "qpayd_requests_timed_out_total %llu\n"
            "# HELP qpayd_accept_errors_total accept() failures (out of file descriptors or "
            "memory).\n"
            "# TYPE qpayd_accept_errors_total counter\n"
            "qpayd_accept_errors_total %llu\n",
            cst.open, cst.evicted, cst.timed_out, cst.accept_errors);
        n += (size_t)snprintf(body + n, size - n,
                              "# HELP qpayd_receive_leader 1 when this instance holds the "
                              "receive lease (polls phoenixd and bitcoind).\n"
                              "# TYPE qpayd_receive_leader gauge\n"
                              "qpayd_receive_leader %d\n",
                              lease_role() == LEASE_LEADER);
        if (n < size)
                n += hook_stats_text(body + n, size - n);
        return n;
}
