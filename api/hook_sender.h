/* The webhook sender: threads of `qpayd serve` that deliver webhook_outbox
 * (docs/webhooks.md). Each has its own database connection; a store is
 * served by one thread at a time across every qpayd sharing the database (a
 * transaction-scoped advisory lock), so a slow or dead shop holds up one
 * thread and never the API or the other stores. A delivery is claimed with
 * FOR UPDATE SKIP LOCKED, only when it is its object's oldest pending one
 * (order per object), signed (api/hook_sign.h), posted (api/hook_post.h),
 * and recorded with its attempt in the claim's transaction. */
#ifndef QPAYD_API_HOOK_SENDER_H
#define QPAYD_API_HOOK_SENDER_H

#include "live_config.h"

/* Starts the threads; each round holds the current configuration of live
 * (borrowed: it must outlive hook_sender_stop). 0 or -1. */
int hook_sender_start(struct live_config *live);
/* Stops them (a transfer in progress is cut short) and waits for them. */
void hook_sender_stop(void);

#endif
