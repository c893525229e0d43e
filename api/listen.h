/* The API's listening sockets: one per worker, all bound to the same
 * address with SO_REUSEPORT, so that the kernel spreads new connections
 * over the workers without any worker pausing its accepts. */
#ifndef QPAYD_API_LISTEN_H
#define QPAYD_API_LISTEN_H

#include <stddef.h>

/* Opens n listening TCP sockets on "host:port" or "[v6]:port" into fds.
 * Refuses an address another socket listens on already (SO_REUSEPORT alone
 * would let a second qpayd share it silently). Returns 0, or -1 with a
 * message in err and nothing left open. */
int listen_open(const char *listen_addr, int n, int *fds, char *err, size_t errsz);

#endif
