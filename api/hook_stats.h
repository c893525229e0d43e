/* Webhook delivery figures for /metrics: attempts by result (counters) and
 * the outbox backlog (gauges the sender refreshes). Thread-safe. */
#ifndef QPAYD_API_HOOK_STATS_H
#define QPAYD_API_HOOK_STATS_H

#include <stddef.h>
#include <stdint.h>

enum hook_stats_result {
        HOOK_STATS_DELIVERED, /* 2xx within the timeout */
        HOOK_STATS_RETRY,     /* failed; tried again later */
        HOOK_STATS_FAILED,    /* failed after 3 days: given up */
        HOOK_STATS_REFUSED,   /* not sent: a private address (SSRF) or a bad url */
        HOOK_STATS_SKIPPED,   /* no subscriber: no url, or a type not in events */
        HOOK_STATS_NRESULTS
};

void hook_stats_count(enum hook_stats_result result);
void hook_stats_add(enum hook_stats_result result, unsigned long long n);
/* Pending deliveries and the age in seconds of the oldest one. */
void hook_stats_backlog(int64_t pending, int64_t oldest_seconds);
/* Appends the metrics text at body (at most size bytes, NUL terminated).
 * Returns the length written (less than size). */
size_t hook_stats_text(char *body, size_t size);

#endif
