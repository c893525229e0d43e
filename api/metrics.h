/* GET /metrics: Prometheus text format. No token: bind it to loopback or
 * protect it at the proxy (deploy/nginx-qpayd.conf does). */
#ifndef QPAYD_API_METRICS_H
#define QPAYD_API_METRICS_H

#include "http.h"

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

void metrics_serve(struct http_ctx *c);

#endif
