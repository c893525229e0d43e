#include "router.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim_lnurl.h"
#include "claim_renew.h"
#include "claim_page.h"
#include "dbthread.h"
#include "export.h"
#include "hconn.h"
#include "health.h"
#include "hook_routes.h"
#include "invoice_list.h"
#include "invoices.h"
#include "metrics_latency.h"
#include "refund_actions.h"
#include "refund_reads.h"
#include "refunds.h"
#include "static.h"
#include "webhook.h"
#include "whoami.h"
#include "worker_state.h"

/* Every route of the API (docs/api.md), with its handler. */
static const struct route routes[] = {
    {"GET", "/healthz", health_live, 0},
    {"GET", "/readyz", health_ready, ROUTE_DB},
    {"GET", "/metrics", health_metrics, 0},
    {"POST", "/v1/stores/{store}/invoices", invoices_create, ROUTE_DB},
    {"GET", "/v1/stores/{store}/invoices", invoice_list_get, ROUTE_DB},
    {"GET", "/v1/stores/{store}/invoices.csv", export_invoices, 0},
    {"GET", "/v1/stores/{store}/invoices/{id}", invoices_get, 0},
    {"POST", "/v1/stores/{store}/invoices/{id}/mark-paid", invoices_mark_paid, ROUTE_DB},
    {"GET", "/v1/stores/{store}/invoices/{id}/events", invoices_events, ROUTE_DB},
    {"GET", "/v1/stores/{store}/invoices/{id}/refund-summary", refund_reads_summary, ROUTE_DB},
    {"POST", "/v1/stores/{store}/invoices/{id}/refunds", refunds_create, 0},
    {"GET", "/v1/stores/{store}/invoices/{id}/refunds", refund_reads_of_invoice, ROUTE_DB},
    {"GET", "/v1/stores/{store}/refunds", refund_reads_list, ROUTE_DB},
    {"GET", "/v1/stores/{store}/refunds.csv", export_refunds, 0},
    {"GET", "/v1/stores/{store}/payments", export_payments_json, 0},
    {"GET", "/v1/stores/{store}/payments.csv", export_payments, 0},
    {"GET", "/v1/stores/{store}/refunds/{id}", refund_reads_get, 0},
    {"GET", "/v1/stores/{store}/refunds/{id}/events", refund_reads_events, ROUTE_DB},
    {"POST", "/v1/stores/{store}/refunds/{id}/approve", refund_actions_approve, ROUTE_DB},
    {"POST", "/v1/stores/{store}/refunds/{id}/finalize", refund_actions_finalize, ROUTE_DB},
    {"POST", "/v1/stores/{store}/refunds/{id}/fail", refund_actions_fail, ROUTE_DB},
    {"POST", "/v1/stores/{store}/refunds/{id}/cancel", refund_actions_cancel, ROUTE_DB},
    {"POST", "/v1/stores/{store}/refunds/{id}/claim-link", claim_renew, ROUTE_DB},
    {"GET", "/v1/stores/{store}/webhook-deliveries", hook_routes_list, ROUTE_DB},
    {"POST", "/v1/stores/{store}/webhook-deliveries/{id}/redeliver", hook_routes_redeliver,
     ROUTE_DB},
    {"GET", "/v1/stores/{store}/whoami", whoami_get, 0},
    {"POST", "/v1/webhooks/phoenixd/{store}", webhook_phoenixd, 0},
    /* The customer's side of a claimable refund (docs/claims.md): public,
     * the token is the only key; rate-limited per client address. */
    {"GET", "/claim.css", claim_page_css, 0},
    {"GET", "/claim/{token}", claim_page_get, 0},
    {"POST", "/claim/{token}", claim_page_post, 0},
    {"GET", "/claim/{token}/lnurlw", claim_lnurl_get, 0},
    {"GET", "/lnurlw/callback", claim_lnurl_callback, 0},
};

/* The list routes that answer Accept: text/csv with their export, streamed
 * from the loop (export.h) instead of the handler. */
static const struct {
        route_fn list, csv;
} router_csv[] = {
    {invoice_list_get, export_invoices},
    {refund_reads_list, export_refunds},
    {export_payments_json, export_payments},
};

static route_fn
router_csv_of(route_fn fn)
{
        for (size_t i = 0; i < sizeof(router_csv) / sizeof(router_csv[0]); i++)
                if (router_csv[i].list == fn)
                        return router_csv[i].csv;
        return NULL;
}

int
router_match(const char *pattern, char *path, const char **params, size_t *nparams)
{
        size_t np = 0;
        const char *p = pattern;
        char *s = path;
        while (*p && *s) {
                if (*p != '/' || *s != '/')
                        return 0;
                p++;
                s++;
                const char *pend = strchr(p, '/');
                size_t plen = pend ? (size_t)(pend - p) : strlen(p);
                char *send = strchr(s, '/');
                size_t slen = send ? (size_t)(send - s) : strlen(s);
                if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
                        if (slen == 0 || np >= HTTP_MAX_PARAMS)
                                return 0;
                        params[np++] = s;
                } else if (plen != slen || strncmp(p, s, plen) != 0) {
                        return 0;
                }
                p += plen;
                s += slen;
        }
        if (*p != '\0' || *s != '\0')
                return 0;
        /* Cut parameters only once the whole path matched. */
        for (size_t i = 0; i < np; i++) {
                char *slash = strchr((char *)params[i], '/');
                if (slash != NULL)
                        *slash = '\0';
        }
        *nparams = np;
        return 1;
}

static void
router_route(struct http_ctx *c)
{
        /* A body over max_body_bytes never gets here: hconn.c answers 413
         * from its Content-Length, before reading it. */
        if (static_serve(c))
                return; /* the dashboard's files, from the loop */
        char allow[64] = "";
        /* router_match cuts the path only when it matches: one copy serves
         * every pattern until one matches under another method. */
        char path[sizeof(c->path)];
        size_t plen = strlen(c->path) + 1;
        memcpy(path, c->path, plen);
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
                const char *params[HTTP_MAX_PARAMS];
                size_t np = 0;
                if (!router_match(routes[i].pattern, path, params, &np))
                        continue;
                if (strcmp(routes[i].method, c->method) != 0) {
                        if (strstr(allow, routes[i].method) == NULL) {
                                size_t n = strlen(allow);
                                snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "",
                                         routes[i].method);
                        }
                        memcpy(path, c->path, plen);
                        continue;
                }
                /* Parameters must point into c, which outlives this loop. */
                memcpy(c->pbuf, path, plen);
                for (size_t k = 0; k < np; k++)
                        c->params[k] = c->pbuf + (params[k] - path);
                c->nparams = np;
                c->route_slot = (int)i + 1;
                route_fn csv = router_csv_of(routes[i].fn);
                if (csv != NULL && export_wants_csv(c))
                        csv(c);
                else if (!(routes[i].flags & ROUTE_DB))
                        routes[i].fn(c);
                else if (dbthread_submit(c->worker->dbt, c, routes[i].fn) == 0)
                        c->async = 1; /* the database thread answers */
                else
                        http_error(c, 503, "server_busy",
                                   "too many requests wait for the database; retry");
                return;
        }
        if (allow[0] != '\0') {
                http_add_header(c, "Allow", allow);
                http_error(c, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                           c->method, http_log_path(c), allow);
                return;
        }
        http_error(c, 404, "not_found", "no route for %s %s", c->method, http_log_path(c));
}

/* The latency histograms are by route: name their slots once. */
static void
router_name_slots(void)
{
        enum { N = sizeof(routes) / sizeof(routes[0]) };
        static const char *methods[N], *patterns[N];
        for (size_t i = 0; i < N; i++) {
                methods[i] = routes[i].method;
                patterns[i] = routes[i].pattern;
        }
        metrics_latency_routes(methods, patterns, N);
}

/* Answers the request hc holds. The context lives on the heap: a handler
 * that sets c->async owns it and frees it after replying; otherwise it is
 * freed here. */
void
router_dispatch(struct hconn *hc, void *arg)
{
        struct worker *w = arg;
        static pthread_once_t named = PTHREAD_ONCE_INIT;
        pthread_once(&named, router_name_slots);
        struct http_ctx *c = http_ctx_new(w);
        if (c == NULL) {
                hconn_reply(hc, 500, NULL, NULL, 0);
                return;
        }
        if (http_ctx_init(c, hc, w) == 0)
                router_route(c);
        if (c->async)
                return;
        if (!c->replied)
                http_error(c, 500, "internal", "handler gave no answer");
        http_ctx_free(c);
}
