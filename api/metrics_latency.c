#include "metrics_latency.h"

#include <stdatomic.h>
#include <stdio.h>

/* Upper bounds of the buckets, in microseconds (le, in seconds, below). */
static const int64_t metrics_latency_le_us[] = {1000,    2500,    5000,    10000,  25000,
                                                50000,   100000,  250000,  500000, 1000000,
                                                2500000, 5000000, 10000000};
static const char *const metrics_latency_le[] = {"0.001", "0.0025", "0.005", "0.01", "0.025",
                                                 "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                                 "2.5",   "5",      "10"};
#define METRICS_LATENCY_BUCKETS (sizeof(metrics_latency_le_us) / sizeof(metrics_latency_le_us[0]))

struct metrics_latency_slot {
        _Atomic unsigned long long bucket[METRICS_LATENCY_BUCKETS + 1]; /* last: above 10 s */
        _Atomic unsigned long long sum_us;
};

static struct metrics_latency_slot metrics_latency_slots[METRICS_LATENCY_ROUTES + 1];
static const char *metrics_latency_methods[METRICS_LATENCY_ROUTES + 1];
static const char *metrics_latency_patterns[METRICS_LATENCY_ROUTES + 1];
static _Atomic size_t metrics_latency_n; /* named slots, 0 included */

void
metrics_latency_routes(const char *const *methods, const char *const *patterns, size_t n)
{
        if (n > METRICS_LATENCY_ROUTES - 1)
                n = METRICS_LATENCY_ROUTES - 1;
        metrics_latency_methods[0] = "";
        metrics_latency_patterns[0] = "none";
        for (size_t i = 0; i < n; i++) {
                metrics_latency_methods[i + 1] = methods[i];
                metrics_latency_patterns[i + 1] = patterns[i];
        }
        metrics_latency_methods[n + 1] = "";
        metrics_latency_patterns[n + 1] = "other";
        atomic_store_explicit(&metrics_latency_n, n + 2, memory_order_release);
}

void
metrics_latency_observe(int slot, int64_t us)
{
        size_t n = atomic_load_explicit(&metrics_latency_n, memory_order_relaxed);
        if (slot < 0 || n == 0)
                slot = 0;
        else if ((size_t)slot >= n)
                slot = (int)n - 1;
        if (us < 0)
                us = 0;
        struct metrics_latency_slot *s = &metrics_latency_slots[slot];
        size_t b = 0;
        while (b < METRICS_LATENCY_BUCKETS && us > metrics_latency_le_us[b])
                b++;
        atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)us, memory_order_relaxed);
}

void
metrics_latency_text(struct evbuffer *out)
{
        size_t n = atomic_load_explicit(&metrics_latency_n, memory_order_acquire);
        evbuffer_add_printf(out, "# HELP qpayd_http_request_duration_seconds Time from a "
                                 "request's dispatch to its answer (a streamed export: to its "
                                 "first byte), by route.\n"
                                 "# TYPE qpayd_http_request_duration_seconds histogram\n");
        for (size_t i = 0; i < n; i++) {
                const struct metrics_latency_slot *s = &metrics_latency_slots[i];
                char labels[256];
                snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"",
                         metrics_latency_methods[i], metrics_latency_patterns[i]);
                unsigned long long cum = 0;
                for (size_t b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
                        cum += atomic_load_explicit(&s->bucket[b], memory_order_relaxed);
                        evbuffer_add_printf(
                            out,
                            "qpayd_http_request_duration_seconds_bucket{%s,le=\"%s\"}"
                            " %llu\n",
                            labels, metrics_latency_le[b], cum);
                }
                cum +=
                    atomic_load_explicit(&s->bucket[METRICS_LATENCY_BUCKETS], memory_order_relaxed);
                unsigned long long sum = atomic_load_explicit(&s->sum_us, memory_order_relaxed);
                evbuffer_add_printf(out,
                                    "qpayd_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} "
                                    "%llu\n"
                                    "qpayd_http_request_duration_seconds_sum{%s} %llu.%06llu\n"
                                    "qpayd_http_request_duration_seconds_count{%s} %llu\n",
                                    labels, cum, labels, sum / 1000000, sum % 1000000, labels, cum);
        }
}
