/* The refund figures of /metrics, read from the database (so they cover
 * every executor): refunds by backend and status, the age of the oldest
 * pending and processing refund, payout attempts by backend and outcome.
 * One statement on a pipelined connection at most every
 * METRICS_REFUNDS_TTL_MS for the whole process, whatever the scrape rate:
 * between, every scrape gets the figures of the last one. */
#ifndef QPAYD_API_METRICS_REFUNDS_H
#define QPAYD_API_METRICS_REFUNDS_H

#include <event2/buffer.h>

#include "http.h"

#define METRICS_REFUNDS_TTL_MS 5000

/* When the figures are older than the TTL and no other request is reading
 * them, reads them for c and returns 0: then done(c) runs on c's loop once
 * they are in (or failed), and must answer and free c. Otherwise returns -1
 * at once: answer with what is cached. Loop thread only. */
int metrics_refunds_refresh(struct http_ctx *c, void (*done)(struct http_ctx *c));

/* Appends the figures last read and qpayd_refund_metrics_up (0 when the last
 * read failed: then no figures). */
void metrics_refunds_text(struct evbuffer *out);

#endif
