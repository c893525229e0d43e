/* The CSV exports (docs/api.md "Listings and exports"): a store's invoices,
 * refunds or payments, streamed as chunks of a chunked reply. Runs on the
 * worker's event loop: each page of rows is one keyset statement on the
 * worker's pipelined connections (api/dbq.c), formatted, and handed to
 * the connection (api/hconn.c); the next page is asked for while the socket drains this one, and
 * nothing more until it has: at most two pages are in memory whatever the
 * size of the export, and a slow reader only slows its own stream. The
 * database thread is never held: other requests of the worker go on. */
#ifndef QPAYD_API_EXPORT_H
#define QPAYD_API_EXPORT_H

#include "http.h"

struct worker;

/* Rows per page (statement). */
#define EXPORT_PAGE_ROWS 500

/* 1 when the request's Accept header prefers text/csv to application/json
 * (the list routes answer CSV then). */
int export_wants_csv(const struct http_ctx *c);

/* The routes (…/invoices.csv, or Accept: text/csv on the list). */
void export_invoices(struct http_ctx *c);
void export_refunds(struct http_ctx *c);
void export_payments(struct http_ctx *c);
/* GET …/payments without text/csv: 406, payments are exported only. */
void export_payments_json(struct http_ctx *c);

/* After w's loop ended and its pipelines were freed: ends w's streams still
 * open (cut, since they are incomplete), while the connections still exist. */
void export_worker_stop(struct worker *w);

#endif
