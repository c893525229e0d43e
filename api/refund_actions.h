/* The refund transitions: POST …/refunds/{id}/finalize, fail, cancel and
 * approve (refund_actions.c). */
#ifndef QPAYD_API_REFUND_ACTIONS_H
#define QPAYD_API_REFUND_ACTIONS_H

#include "http.h"

void refund_actions_finalize(struct http_ctx *c);
void refund_actions_fail(struct http_ctx *c);
void refund_actions_cancel(struct http_ctx *c);
void refund_actions_approve(struct http_ctx *c);

#endif
