/* The webhook delivery log and redelivery (docs/api.md "Webhooks"):
 * GET /v1/stores/{store}/webhook-deliveries (admin or payout token) and
 * POST /v1/stores/{store}/webhook-deliveries/{id}/redeliver (admin token). */
#ifndef QPAYD_API_HOOK_ROUTES_H
#define QPAYD_API_HOOK_ROUTES_H

#include <stddef.h>

#include "config.h"
#include "http.h"

void hook_routes_list(struct http_ctx *c);
void hook_routes_redeliver(struct http_ctx *c);

/* Checks an object's notification_url for store: https:// (http:// only
 * with allow_private_targets), at most 2048 characters, and a store with a
 * webhook secret to sign with. 0, or -1 with why in msg. */
int hook_routes_url_check(const struct config_store *store, const char *url, char *msg,
                          size_t size);

#endif
