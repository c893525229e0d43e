/* Refund routes: create (refunds.c), transitions (refund_actions.c) and reads
 * (refund_reads.c). */
#ifndef QPAYD_API_REFUNDS_H
#define QPAYD_API_REFUNDS_H

#include "http.h"

#define REFUND_REASON_MAX      500
#define REFUND_DESTINATION_MAX 2048

void refunds_create(struct http_ctx *c);

void refunds_finalize(struct http_ctx *c);
void refunds_fail(struct http_ctx *c);
void refunds_cancel(struct http_ctx *c);
void refunds_approve(struct http_ctx *c);

void refunds_get(struct http_ctx *c);
void refunds_of_invoice(struct http_ctx *c);
void refunds_list(struct http_ctx *c);
void refunds_events(struct http_ctx *c);
void refunds_summary(struct http_ctx *c);

#endif
