/* GET /healthz (the process answers) and GET /readyz (the database answers and
 * its schema is the one this binary was built for). No token: bind to loopback
 * or put them behind the proxy's access rules. */
#ifndef QPAYD_API_HEALTH_H
#define QPAYD_API_HEALTH_H

#include "http.h"

void health_live(struct http_ctx *c);
void health_ready(struct http_ctx *c);

#endif
