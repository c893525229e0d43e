/* POST …/invoices/{id}/refunds: creating a refund (refunds.c), and the limits
 * on its fields. The transitions are in refund_actions.h, the reads in
 * refund_reads.h. */
#ifndef QPAYD_API_REFUNDS_H
#define QPAYD_API_REFUNDS_H

#include "http.h"

#define REFUND_REASON_MAX      500
#define REFUND_DESTINATION_MAX 2048

void refunds_create(struct http_ctx *c);

#endif
