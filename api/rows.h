/* Turning result rows into the API's JSON objects. */
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

/* Column order of REFUND_COLS in statements.c. */
enum refund_col {
        RF_ID,
        RF_STORE,
        RF_INVOICE,
        RF_AMOUNT,
        RF_DEST,
        RF_DEST_TYPE,
        RF_REASON,
        RF_STATUS,
        RF_APPROVAL,
        RF_EXECUTION,
        RF_EXEC_REASON,
        RF_IDEM_KEY,
        RF_TX_ID,
        RF_PROOF,
        RF_FEE,
        RF_FAILURE,
        RF_CREATED,
        RF_UPDATED,
        RF_BACKEND,
};

cJSON *rows_invoice(const PGresult *r, int row);
cJSON *rows_refund(const PGresult *r, int row);

#endif
