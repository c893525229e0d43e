/* The receive lease: which qpayd of a database receives (polls phoenixd,
 * follows bitcoind). A session advisory lock, pg_try_advisory_lock on one
 * well-known key, on a connection of its own: when the holder dies its
 * connection closes and PostgreSQL releases the lock; the others try every
 * second and one takes it. The holder looks at its connection (no wait)
 * before each step of a round, so a session the database ended (the lock
 * is free at once) stops it there; it confirms it (a query with a deadline
 * of its own, 1 s) at least every second, and stops receiving when it
 * cannot. The session asks the server to drop a silent holder later than
 * that (tcp_user_timeout, keepalives), so a partitioned holder has stopped
 * before a new one starts. docs/scaling.md. */
#ifndef QPAYD_API_LEASE_H
#define QPAYD_API_LEASE_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "db.h"

/* What this instance does, for /metrics and /readyz. */
enum lease_role {
        LEASE_OFF,     /* [server] receive = false */
        LEASE_STANDBY, /* receives once the holder goes away */
        LEASE_LEADER,  /* holds the lease: receives */
};

struct lease {
        struct db db; /* the lease's own session connection */
        char *url;    /* owned */
        bool held;
        struct timespec confirmed; /* CLOCK_MONOTONIC: when the last confirmation was sent */
};

/* The URL of the lease connection. It must reach PostgreSQL directly (a
 * session: a transaction-mode pooler would release the lock with the
 * transaction); today the [database] URL. */
const char *lease_url(const struct config *cfg);

/* Prepares l (no connection yet) and sets the role to standby. 0, or -1
 * when memory is short. */
int lease_init(struct lease *l, const char *url);
/* Closes the connection (the server releases the lock) and frees l. */
void lease_free(struct lease *l);

/* 1 when this instance holds the lease, confirmed within the last second:
 * confirms it or tries to take it when needed. 0 otherwise (and the lease is
 * let go of when it could not be confirmed). Blocks at most a second to
 * confirm, connect_timeout to connect. Not thread-safe: one thread owns l. */
int lease_hold(struct lease *l);

/* The role of this process now. Thread-safe. */
enum lease_role lease_role(void);
/* "leader", "standby" or "off". */
const char *lease_role_name(enum lease_role role);

#endif
