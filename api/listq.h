/* The query string of the list and export routes (docs/api.md "Listings and
 * exports"): filters, limit and cursor, checked, each bad one a 400 naming
 * the parameter, and turned into the parameters of the page statements
 * (api/statements.c). Nothing here touches the database. */
#ifndef QPAYD_API_LISTQ_H
#define QPAYD_API_LISTQ_H

#include <event2/keyvalq_struct.h>
#include <libpq-fe.h>

#include "http.h"
#include "ids.h"

#define LISTQ_DEFAULT_LIMIT 20
#define LISTQ_MAX_LIMIT     100
/* A timestamp as the statements take it: 2026-01-02T03:04:05.123456Z. */
#define LISTQ_TS 32
/* A cursor's id: an invoice or refund id, or a payment's bigint. */
#define LISTQ_ID ID_MAX

enum listq_kind { LISTQ_INVOICES, LISTQ_REFUNDS, LISTQ_PAYMENTS };

struct listq {
        enum listq_kind kind;
        int csv;    /* an export: every row, oldest first; no limit or cursor */
        long limit; /* a list's page size */
        /* Filters, NULL (or "") when absent; strings point into q. */
        const char *status, *approval_status, *invoice_id, *reference, *method, *state;
        char created_after[LISTQ_TS], created_before[LISTQ_TS]; /* sentinels when absent */
        char paid_after[LISTQ_TS], paid_before[LISTQ_TS];       /* "" when absent */
        char *metadata; /* metadata[key]=value pairs as one JSON object, owned */
        /* Where the page starts: the cursor given, or the sentinel before
         * the first row in the route's order. */
        char cursor_ts[LISTQ_TS], cursor_id[LISTQ_ID];
        const char *starting_after; /* refunds: the older cursor, a refund id */
        struct evkeyvalq q;         /* the parsed query string */
};

/* Reads query (NULL: none) for kind (a list, or an export when csv) into q.
 * 0; -1 with err saying what is wrong, beginning with the parameter's name;
 * -2 out of memory. listq_free q whatever the result. Answers nothing (the
 * fuzz harness "query" calls it). */
int listq_read(const char *query, enum listq_kind kind, int csv, struct listq *q, char *err,
               size_t errsize);
/* listq_read of c's query string: 0, or -1 after answering 400
 * invalid_query (500 when out of memory). listq_free q either way. */
int listq_parse(struct http_ctx *c, enum listq_kind kind, int csv, struct listq *q);
void listq_free(struct listq *q);

/* The page statement's parameters for store, starting after (ts, id) with
 * limit (decimal text): fills p (LISTQ_PARAMS slots) and returns how many. */
#define LISTQ_PARAMS 11
int listq_params(const struct listq *q, const char *store, const char *ts, const char *id,
                 const char *limit, const char **p);

/* The opaque cursor after the row at (ts, id), as next_cursor shows it:
 * malloc'd, or NULL when out of memory. */
char *listq_cursor_encode(const char *ts, const char *id);

/* Answers a list page from r, whose rows are (JSON text, cursor timestamp,
 * id) and hold one more than limit when there is a next page:
 * {"data":[…],"has_more":…,"next_cursor":…}. */
void listq_reply_page(struct http_ctx *c, const PGresult *r, long limit);

/* Parses a timestamp of a filter: RFC 3339 with Z or an offset
 * (2026-01-02T03:04:05Z, …05.5+01:00), or a date (2026-01-02, midnight
 * UTC); writes it in UTC as LISTQ_TS text. 0, or -1 when it is not one
 * (also a day that does not exist). Exposed for tests. */
int listq_time(const char *in, char out[LISTQ_TS]);

#endif
