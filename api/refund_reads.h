/* Reading refunds (refund_reads.c): one, an invoice's, a store's, the audit
 * trail, and an invoice's refund summary. */
#ifndef QPAYD_API_REFUND_READS_H
#define QPAYD_API_REFUND_READS_H

#include "http.h"

void refund_reads_get(struct http_ctx *c);
void refund_reads_of_invoice(struct http_ctx *c);
void refund_reads_list(struct http_ctx *c);
void refund_reads_events(struct http_ctx *c);
void refund_reads_summary(struct http_ctx *c);

#endif
