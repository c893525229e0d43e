/* `qpayd serve`: the public HTTP API. */
#ifndef QPAYD_API_SERVE_H
#define QPAYD_API_SERVE_H

#include "config.h"

/* Runs until SIGTERM or SIGINT, then drains and returns an exit code. */
int serve_run(const struct config *cfg);

/* Opens a listening TCP socket for "host:port" or "[v6]:port". Returns the
 * fd or -1 with a message in err. Exposed for tests. */
int serve_listen(const char *listen_addr, char *err, size_t errsz);

#endif
