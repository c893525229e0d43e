/* Turning result rows into the API's JSON lists: invoices and refunds
 * arrive already rendered by invoice_json() (sql/005) and refund_json(). */
#ifndef QPAYD_API_ROWS_H
#define QPAYD_API_ROWS_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

/* {"data":[<column 0 of rows 0..n-1>],"has_more":more} from rows whose first
 * column is JSON text (refund_json). Returns malloc'd text, or NULL. */
char *rows_json_list(const PGresult *r, int n, int more);

/* The events of a refund or an invoice (columns id, actor, event, from,
 * to, detail, created_at) as a JSON array (owned by the caller). */
cJSON *rows_events(const PGresult *r);

#endif
