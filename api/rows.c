#include "rows.h"

#include "json.h"

cJSON *
rows_invoice(const PGresult *r, int row)
{
        cJSON *o = cJSON_CreateObject();
        json_add_pg_string(o, "id", r, row, INV_ID);
        json_add_pg_string(o, "store_id", r, row, INV_STORE);
        json_add_pg_int(o, "amount_sats", r, row, INV_AMOUNT);
        json_add_pg_int(o, "amount_paid_sats", r, row, INV_PAID);
        json_add_pg_int(o, "amount_refunded_sats", r, row, INV_REFUNDED);
        json_add_pg_string(o, "status", r, row, INV_STATUS);
        json_add_pg_string(o, "description", r, row, INV_DESCRIPTION);
        json_add_pg_json(o, "metadata", r, row, INV_METADATA);
        json_add_pg_string(o, "refund_destination", r, row, INV_REFUND_DEST);
        json_add_pg_string(o, "expires_at", r, row, INV_EXPIRES);
        json_add_pg_string(o, "paid_at", r, row, INV_PAID_AT);
        json_add_pg_string(o, "created_at", r, row, INV_CREATED);
        json_add_pg_string(o, "updated_at", r, row, INV_UPDATED);
        return o;
}

cJSON *
rows_refund(const PGresult *r, int row)
{
        cJSON *o = cJSON_CreateObject();
        json_add_pg_string(o, "id", r, row, RF_ID);
        json_add_pg_string(o, "store_id", r, row, RF_STORE);
        json_add_pg_string(o, "invoice_id", r, row, RF_INVOICE);
        json_add_pg_int(o, "amount_sats", r, row, RF_AMOUNT);
        json_add_pg_string(o, "destination", r, row, RF_DEST);
        json_add_pg_string(o, "destination_type", r, row, RF_DEST_TYPE);
        json_add_pg_string(o, "payout_backend", r, row, RF_BACKEND);
        json_add_pg_string(o, "reason", r, row, RF_REASON);
        json_add_pg_string(o, "status", r, row, RF_STATUS);
        json_add_pg_string(o, "approval_status", r, row, RF_APPROVAL);
        json_add_pg_string(o, "execution", r, row, RF_EXECUTION);
        json_add_pg_string(o, "execution_reason", r, row, RF_EXEC_REASON);
        json_add_pg_string(o, "idempotency_key", r, row, RF_IDEM_KEY);
        json_add_pg_string(o, "tx_id", r, row, RF_TX_ID);
        json_add_pg_string(o, "payment_proof", r, row, RF_PROOF);
        json_add_pg_int(o, "fee_sats", r, row, RF_FEE);
        json_add_pg_string(o, "failure_reason", r, row, RF_FAILURE);
        json_add_pg_string(o, "created_at", r, row, RF_CREATED);
        json_add_pg_string(o, "updated_at", r, row, RF_UPDATED);
        return o;
}
