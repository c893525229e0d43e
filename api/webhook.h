/* POST /v1/webhooks/phoenixd/{store}: phoenixd's payment_received webhook.
 * The signature is checked over the raw body before anything is parsed; the
 * body is never trusted for amounts: it only tells the receiver which
 * payment hash to ask phoenixd about now. */
#ifndef QPAYD_API_WEBHOOK_H
#define QPAYD_API_WEBHOOK_H

#include "http.h"

void webhook_phoenixd(struct http_ctx *c);

#endif
