#include "export_kinds.h"

#include "statements.h"

/* The columns of each statement (api/statements.c), in order. */
static const enum csv_kind export_kinds_invoice_cols[] = {
    CSV_PLAIN, CSV_PLAIN, CSV_PLAIN, CSV_BTC,   CSV_PLAIN, CSV_BTC,   CSV_PLAIN, CSV_BTC,
    CSV_TEXT,  CSV_TEXT,  CSV_PLAIN, CSV_PLAIN, CSV_PLAIN, CSV_PLAIN, CSV_PLAIN};

const struct export_kind export_kinds_invoices = {
    "invoices",
    LISTQ_INVOICES,
    AUTH_INVOICE,
    STMT_EXPORT_INVOICES,
    "id,status,amount_sats,amount_btc,amount_paid_sats,amount_paid_btc,"
    "amount_refunded_sats,amount_refunded_btc,description,metadata,payment_hash,"
    "onchain_address,created_at_utc,expires_at_utc,paid_at_utc\r\n",
    export_kinds_invoice_cols,
    (int)(sizeof(export_kinds_invoice_cols) / sizeof(export_kinds_invoice_cols[0])),
};

static const enum csv_kind export_kinds_refund_cols[] = {
    CSV_PLAIN, CSV_PLAIN, CSV_TEXT, CSV_PLAIN, CSV_PLAIN, CSV_PLAIN, CSV_TEXT, CSV_PLAIN,
    CSV_BTC,   CSV_PLAIN, CSV_BTC,  CSV_PLAIN, CSV_BTC,   CSV_BOOL,  CSV_TEXT, CSV_TEXT,
    CSV_PLAIN, CSV_PLAIN, CSV_TEXT, CSV_TEXT,  CSV_PLAIN, CSV_PLAIN, CSV_PLAIN};

const struct export_kind export_kinds_refunds = {
    "refunds",
    LISTQ_REFUNDS,
    AUTH_ADMIN,
    STMT_EXPORT_REFUNDS,
    "id,invoice_id,reference,status,payout_backend,destination_type,destination,"
    "amount_sats,amount_btc,fee_sats,fee_btc,received_sats,received_btc,buyer_pays_fee,"
    "tx_id,payment_proof,tx_status,confirmations,reason,failure_reason,created_at_utc,"
    "completed_at_utc,confirmed_at_utc\r\n",
    export_kinds_refund_cols,
    (int)(sizeof(export_kinds_refund_cols) / sizeof(export_kinds_refund_cols[0])),
};

static const enum csv_kind export_kinds_payment_cols[] = {
    CSV_PLAIN, CSV_PLAIN, CSV_TEXT, CSV_PLAIN, CSV_PLAIN,
    CSV_BTC,   CSV_PLAIN, CSV_BOOL, CSV_PLAIN, CSV_PLAIN};

const struct export_kind export_kinds_payments = {
    "payments",
    LISTQ_PAYMENTS,
    AUTH_INVOICE,
    STMT_EXPORT_PAYMENTS,
    "invoice_id,method,reference,state,amount_sats,amount_btc,confirmations,late,"
    "first_seen_at_utc,credited_at_utc\r\n",
    export_kinds_payment_cols,
    (int)(sizeof(export_kinds_payment_cols) / sizeof(export_kinds_payment_cols[0])),
};
