/* The live configuration of `qpayd serve`: the one requests start under now.
 * A SIGHUP swaps in a new one; each request and each receiver round holds a
 * reference to the configuration it started with, and a replaced one is
 * freed when its last holder lets go. Any number of reloads; thread-safe. */
#ifndef QPAYD_API_LIVE_CONFIG_H
#define QPAYD_API_LIVE_CONFIG_H

#include <stdatomic.h>

#include "config.h"

struct live_config;

/* One held configuration: read cfg until live_config_release. */
struct live_config_ref {
        const struct config *cfg;
        struct config *owned; /* freed with the last holder; NULL: borrowed */
        atomic_long holders;  /* requests and rounds, plus 1 while current */
};

/* Starts with first, borrowed: it must outlive every holder. NULL when out
 * of memory. */
struct live_config *live_config_new(const struct config *first);
/* Drops the current one. Every reference must have been released. */
void live_config_free(struct live_config *lc);

/* A reference to the current configuration; never NULL. */
struct live_config_ref *live_config_acquire(struct live_config *lc);
/* Lets go of ref (NULL is ignored); the last holder of a replaced
 * configuration frees it. */
void live_config_release(struct live_config_ref *ref);

/* Makes next (owned from now on, even on failure) the current
 * configuration; holders of the previous one keep it until they release
 * it. 0, or -1 when out of memory (next freed, the current one kept). */
int live_config_swap(struct live_config *lc, struct config *next);

#endif
