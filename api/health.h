/* GET /healthz (the process answers), GET /readyz (the database answers and
 * its schema is the one this binary was built for) and GET /metrics
 * (Prometheus text, metrics.c). No token: bind to loopback or put them
 * behind the proxy's access rules (deploy/nginx-qpayd.conf does). */
#ifndef QPAYD_API_HEALTH_H
#define QPAYD_API_HEALTH_H

#include "http.h"

void health_live(struct http_ctx *c);
void health_ready(struct http_ctx *c);
void health_metrics(struct http_ctx *c);

#endif
