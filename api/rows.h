/* Turning result rows into the API's JSON: invoices are built here; refunds
 * arrive already rendered by refund_json() (sql/003). */
#ifndef QPAYD_API_ROWS_H
#define QPAYD_API_ROWS_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

/* Column order of INVOICE_COLS in statements.c. */
enum invoice_col {
        INV_ID,
        INV_STORE,
        INV_AMOUNT,
        INV_PAID,
        INV_REFUNDED,
        INV_STATUS,
        INV_DESCRIPTION,
        INV_METADATA,
        INV_REFUND_DEST,
        INV_EXPIRES,
        INV_PAID_AT,
        INV_CREATED,
        INV_UPDATED,
};

cJSON *rows_invoice(const PGresult *r, int row);
/* {"data":[<column 0 of rows 0..n-1>],"has_more":more} from rows whose first
 * column is JSON text (refund_json). Returns malloc'd text, or NULL. */
char *rows_json_list(const PGresult *r, int n, int more);

#endif
