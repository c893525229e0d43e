/* Invoices: create (with payment instructions from the store's receive
 * backends), read, the event trail, and mark-paid for payments received
 * outside qpayd. Detection of payments is the receiver's (receiver.c). */
#ifndef QPAYD_API_INVOICES_H
#define QPAYD_API_INVOICES_H

#include "http.h"

#define INVOICE_EXPIRY_DEFAULT 3600
#define INVOICE_EXPIRY_MIN     60
#define INVOICE_EXPIRY_MAX     (30 * 24 * 3600)

void invoices_create(struct http_ctx *c);
void invoices_get(struct http_ctx *c);
void invoices_mark_paid(struct http_ctx *c);
void invoices_events(struct http_ctx *c);

#endif
