/* `qpayd-executor reconcile`: settles refunds left processing from what the
 * backend itself recorded, and lists what it cannot prove. */
#ifndef QPAYD_EXECUTOR_RECONCILE_H
#define QPAYD_EXECUTOR_RECONCILE_H

#include <stdio.h>

#include "config.h"
#include "db.h"

struct reconcile_counts {
        long looked_up, succeeded, failed, left;
};

/* On db (borrowed: open with queries_statements), looks up every processing
 * refund of the stores (store NULL = all; refund NULL = every one) processing
 * for at least older_than seconds and not being paid right now. Records what
 * the backend proves; lists the rest on out. Returns 0, or -1 on a database
 * error. */
int reconcile_run(const struct config *cfg, struct db *db, const char *store, const char *refund,
                  int older_than, FILE *out, struct reconcile_counts *counts);

#endif
