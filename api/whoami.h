/* GET /v1/stores/{store}/whoami: what the presented token may do in its
 * store, so that a client (the dashboard) shows only what it can use. */
#ifndef QPAYD_API_WHOAMI_H
#define QPAYD_API_WHOAMI_H

#include "http.h"

/* From the configuration alone, on the loop: no database. */
void whoami_get(struct http_ctx *c);

#endif
