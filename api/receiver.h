/* The receiver: one thread of `qpayd serve` that learns of payments. It
 * checks the Lightning invoices phoenixd was told about (at once when a
 * signed webhook names one, and every [stores.lightning] poll_seconds for all
 * open ones, since phoenixd never retries a webhook), and follows each
 * store's watch-only wallet with listsinceblock every [stores.bitcoin]
 * poll_seconds. It has its own database connection and blocks on nothing a
 * request waits for. docs/receiving.md. */
#ifndef QPAYD_API_RECEIVER_H
#define QPAYD_API_RECEIVER_H

#include <cjson/cJSON.h>

#include "config.h"
#include "live_config.h"

/* Before serving: refuses (returns -1, logged) a store whose phoenixd or
 * bitcoind is on another chain than its network, or whose "limited"
 * phoenixd password opens payinvoice. A backend that does not answer yet is
 * only a warning: the receiver keeps trying. */
int receiver_preflight(const struct config *cfg);

/* Starts the thread; each round holds the current configuration of live
 * (borrowed: it must outlive receiver_stop). */
int receiver_start(struct live_config *live);
/* Stops it after the check in hand and waits for it. */
void receiver_stop(void);

/* A verified webhook named this payment hash: check it now. Thread-safe and
 * never blocks; a full queue drops it (the poller still finds it). */
void receiver_notify(const char *store_id, const char *payment_hash);

/* Adds "receive_backends": {store: {"lightning"|"bitcoin": {status
 * ("starting", "ok", "failing"), last_poll_at, error}}} for the stores of
 * cfg that receive: what this instance's last poll of each backend found
 * (it polls only while it holds the receive lease, api/lease.h). Thread-safe
 * (for /readyz). */
void receiver_status_json(const struct config *cfg, cJSON *out);

#endif
