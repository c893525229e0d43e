/* What each CSV export holds (docs/api.md "CSV columns"): its page
 * statement, its header line and how each column is written. */
#ifndef QPAYD_API_EXPORT_KINDS_H
#define QPAYD_API_EXPORT_KINDS_H

#include "auth.h"
#include "csv.h"
#include "listq.h"

struct export_kind {
        const char *name;      /* "invoices": the file is <store>-<name>.csv */
        enum listq_kind listq; /* its filters */
        enum auth_action auth; /* the token that may read it */
        const char *stmt;      /* one page: the columns, then the cursor (ts, id) */
        const char *header;    /* the first line, CRLF ended */
        const enum csv_kind *kinds;
        int ncols;
};

extern const struct export_kind export_kinds_invoices;
extern const struct export_kind export_kinds_refunds;
extern const struct export_kind export_kinds_payments;

#endif
