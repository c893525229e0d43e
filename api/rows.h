/* Turning result rows into the API's JSON lists: invoices and refunds
 * arrive already rendered by invoice_json() (sql/005) and refund_json(). */
#ifndef QPAYD_API_ROWS_H
#define QPAYD_API_ROWS_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

/* {"data":[<column 0 of rows 0..n-1>],"has_more":more,"next_cursor":null}
 * from rows whose first column is JSON text (refund_json). Returns malloc'd
 * text, or NULL. */
char *rows_json_list(const PGresult *r, int n, int more);
/* The same with next_cursor (hex digits, listq.h) when not NULL: every list
 * has the same three keys. */
char *rows_json_page(const PGresult *r, int n, int more, const char *next_cursor);

/* One column of a result, in order: its JSON member name and how it is
 * rendered (NULL values become null). */
enum rows_kind { ROWS_TEXT, ROWS_INT, ROWS_JSON };
struct rows_col {
        const char *name; /* NULL ends the list */
        enum rows_kind kind;
};
/* Every row of r as an object of cols (column k is cols[k]), in a JSON array
 * owned by the caller. */
cJSON *rows_array(const PGresult *r, const struct rows_col *cols);

/* The events of a refund or an invoice (columns id, actor, event, from,
 * to, detail, created_at) as a JSON array (owned by the caller). */
cJSON *rows_events(const PGresult *r);

#endif
