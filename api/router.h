/* The route table: method, path pattern with {param} segments, handler. */
#ifndef QPAYD_API_ROUTER_H
#define QPAYD_API_ROUTER_H

#include "http.h"

typedef void (*route_fn)(struct http_ctx *c);

/* The handler uses the worker's blocking connection (handler_db): it runs
 * on the worker's database thread, never on the event loop. */
#define ROUTE_DB 1

struct route {
        const char *method;
        const char *pattern; /* e.g. "/v1/stores/{store}/refunds/{id}" */
        route_fn fn;
        int flags; /* ROUTE_DB or 0 */
};

/* Matches path against pattern; on success fills params (pointing into path,
 * which is modified) and returns 1. Exposed for tests. */
int router_match(const char *pattern, char *path, const char **params, size_t *nparams);

/* The connections' dispatcher (hconns.dispatch): answers every request,
 * 404/405 included. */
void router_dispatch(struct hconn *hc, void *worker);

#endif
