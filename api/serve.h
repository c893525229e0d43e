/* `qpayd serve`: the public HTTP API. The top of api/: checks the database,
 * opens the listening sockets, starts the receiver and the workers
 * (worker.c), takes the signals, and on SIGHUP reloads the configuration
 * into the live one (live_config.c). */
#ifndef QPAYD_API_SERVE_H
#define QPAYD_API_SERVE_H

#include "config.h"

/* Runs until SIGTERM or SIGINT, then drains and returns an exit code. SIGHUP
 * re-reads cfg->path: a valid file replaces the stores, tokens and limits; an
 * invalid one is reported and the running configuration kept. */
int serve_run(const struct config *cfg);

#endif
