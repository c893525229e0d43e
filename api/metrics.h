/* GET /metrics: Prometheus text format. No token: bind it to loopback or
 * protect it at the proxy (deploy/nginx-qpayd.conf does). */
#ifndef QPAYD_API_METRICS_H
#define QPAYD_API_METRICS_H

#include "http.h"

/* Counts one answered request by status class (called for every reply). */
void metrics_count_request(int status);
/* Counts a database error that reached a request. */
void metrics_count_db_error(void);

void metrics_serve(struct http_ctx *c);

#endif
