/* Request latency histograms by route, for /metrics (Prometheus histogram
 * buckets). Observing never fails and never blocks: relaxed atomics. */
#ifndef QPAYD_API_METRICS_LATENCY_H
#define QPAYD_API_METRICS_LATENCY_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

/* Routes beyond this share the "other" slot. */
#define METRICS_LATENCY_ROUTES 64

/* Names the routes once, before the first observation (router.c): slot
 * k + 1 is route k (method and pattern: string literals), slot 0 a request
 * that matched no route. */
void metrics_latency_routes(const char *const *methods, const char *const *patterns, size_t n);

/* Counts one answer of route slot that took us microseconds (from dispatch
 * to the answer; a streamed answer to its first byte). */
void metrics_latency_observe(int slot, int64_t us);

/* Appends qpayd_http_request_duration_seconds in Prometheus text format. */
void metrics_latency_text(struct evbuffer *out);

#endif
