/* The process-wide counters and their Prometheus text (served as GET
 * /metrics by health.c). Counting never fails and never blocks. */
#ifndef QPAYD_API_METRICS_H
#define QPAYD_API_METRICS_H

#include <stddef.h>

/* Counts one answered request by status class (called for every reply). */
void metrics_count_request(int status);
/* Counts a database error that reached a request. */
void metrics_count_db_error(void);

/* Counts a payment that changed state (method "lightning", "onchain" or
 * "manual"; state "seen", "credited" or "removed"); others are ignored. */
void metrics_count_payment(const char *method, const char *state);
/* Counts a phoenixd webhook: 0 accepted, 1 bad signature, 2 not an event. */
enum metrics_webhook {
        METRICS_WEBHOOK_ACCEPTED,
        METRICS_WEBHOOK_BAD_SIGNATURE,
        METRICS_WEBHOOK_INVALID
};
void metrics_count_webhook(enum metrics_webhook result);

/* Writes every counter, and the connection figures (conn.c), in Prometheus
 * text format into body (NUL-terminated); returns the length that would
 * have been written, as snprintf does. */
size_t metrics_text(char *body, size_t size);

#endif
