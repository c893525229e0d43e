/* `qpayd-executor refunds`: the systemd service. */
#ifndef QPAYD_EXECUTOR_SERVICE_H
#define QPAYD_EXECUTOR_SERVICE_H

#include "config.h"

/* Runs passes at start, every poll_seconds (the shortest of the enabled
 * backends) and at once on NOTIFY qpayd_refunds, until SIGTERM or SIGINT
 * (the payout in hand is finished and recorded first). SIGHUP re-reads the
 * configuration; a broken one is reported and the running one kept. Takes
 * ownership of cfg. Returns the exit code. */
int service_run(struct config *cfg);

#endif
