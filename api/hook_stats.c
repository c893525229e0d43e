#include "hook_stats.h"

#include <stdatomic.h>
#include <stdio.h>

static const char *const hook_stats_names[HOOK_STATS_NRESULTS] = {"delivered", "retry", "failed",
                                                                  "refused", "skipped"};
static _Atomic unsigned long long hook_stats_results[HOOK_STATS_NRESULTS];
static _Atomic long long hook_stats_pending = -1; /* -1: not measured yet */
static _Atomic long long hook_stats_oldest;

void
hook_stats_count(enum hook_stats_result result)
{
        if ((unsigned)result < HOOK_STATS_NRESULTS)
                atomic_fetch_add_explicit(&hook_stats_results[result], 1, memory_order_relaxed);
}

void
hook_stats_add(enum hook_stats_result result, unsigned long long n)
{
        if ((unsigned)result < HOOK_STATS_NRESULTS)
                atomic_fetch_add_explicit(&hook_stats_results[result], n, memory_order_relaxed);
}

void
hook_stats_backlog(int64_t pending, int64_t oldest_seconds)
{
        atomic_store_explicit(&hook_stats_pending, pending, memory_order_relaxed);
        atomic_store_explicit(&hook_stats_oldest, oldest_seconds, memory_order_relaxed);
}

size_t
hook_stats_text(char *body, size_t size)
{
        size_t n = 0;
        if (size == 0)
                return 0;
        int w = snprintf(body, size,
                         "# HELP qpayd_webhook_deliveries_total Outgoing webhook deliveries by "
                         "result.\n"
                         "# TYPE qpayd_webhook_deliveries_total counter\n");
        for (int i = 0; w >= 0 && (size_t)w < size - n && i < HOOK_STATS_NRESULTS; i++) {
                n += (size_t)w;
                w = snprintf(body + n, size - n,
                             "qpayd_webhook_deliveries_total{result=\"%s\"} %llu\n",
                             hook_stats_names[i],
                             atomic_load_explicit(&hook_stats_results[i], memory_order_relaxed));
        }
        if (w >= 0 && (size_t)w < size - n) {
                n += (size_t)w;
                long long pending = atomic_load_explicit(&hook_stats_pending, memory_order_relaxed);
                w = snprintf(body + n, size - n,
                             "# HELP qpayd_webhook_outbox_pending Webhook deliveries waiting "
                             "(due or retrying).\n"
                             "# TYPE qpayd_webhook_outbox_pending gauge\n"
                             "qpayd_webhook_outbox_pending %lld\n"
                             "# HELP qpayd_webhook_outbox_oldest_seconds Age of the oldest "
                             "waiting delivery.\n"
                             "# TYPE qpayd_webhook_outbox_oldest_seconds gauge\n"
                             "qpayd_webhook_outbox_oldest_seconds %lld\n",
                             pending < 0 ? 0 : pending,
                             atomic_load_explicit(&hook_stats_oldest, memory_order_relaxed));
                if (w >= 0 && (size_t)w < size - n)
                        n += (size_t)w;
        }
        body[n] = '\0';
        return n;
}
