/* GET /v1/stores/{store}/invoices: a store's invoices, newest first,
 * filtered and paged by cursor (docs/api.md "Listings and exports"). */
#ifndef QPAYD_API_INVOICE_LIST_H
#define QPAYD_API_INVOICE_LIST_H

#include "http.h"

/* On the worker's database thread (ROUTE_DB). */
void invoice_list_get(struct http_ctx *c);

#endif
