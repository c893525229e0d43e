/* The rate limit of the claim endpoints (docs/claims.md): requests per
 * client address and minute, shared by all workers. The address is the
 * connection's peer: behind a reverse proxy every customer shares the
 * proxy's (qpayd trusts no X-Forwarded-For). */
#ifndef QPAYD_API_CLAIM_LIMIT_H
#define QPAYD_API_CLAIM_LIMIT_H

#include <time.h>

#include "dbthread.h"
#include "http.h"

/* 1 when addr may make one more request at now under per_minute (0: no
 * limit), counting it; 0 when over. Thread-safe. A full table (addresses
 * hashed into CLAIM_LIMIT_SLOTS) makes colliding addresses share a count:
 * never more than the limit for any one of them. */
int claim_limit_allow(const char *addr, time_t now, int per_minute);

#define CLAIM_LIMIT_SLOTS 4096

/* Loop thread: 1 when c's client may go on ([server]
 * claim_requests_per_minute); else 0 after answering 429. */
int claim_limit_admit(struct http_ctx *c);

/* Loop thread: claim_limit_admit, then fn on the worker's database thread
 * with job in c->pending (one malloc'd block: fn frees it; freed here when
 * refused). */
void claim_limit_submit(struct http_ctx *c, dbthread_fn fn, void *job);

#endif
