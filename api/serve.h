/* `qpayd serve`: the public HTTP API. */
#ifndef QPAYD_API_SERVE_H
#define QPAYD_API_SERVE_H

#include "config.h"

/* Runs until SIGTERM or SIGINT, then drains and returns an exit code. SIGHUP
 * re-reads cfg->path: a valid file replaces the stores, tokens and limits; an
 * invalid one is reported and the running configuration kept. */
int serve_run(const struct config *cfg);

/* The configuration requests start under now: the one serve_run was given,
 * or the last one a SIGHUP reloaded. Stays valid until serve_run returns. */
const struct config *serve_config(void);

#endif
