#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *
rows_json_list(const PGresult *r, int n, int more)
{
        size_t len = 40;
        for (int i = 0; i < n; i++)
                len += (size_t)PQgetlength(r, i, 0) + 1;
        char *out = malloc(len);
        if (out == NULL)
                return NULL;
        size_t k = 0;
        memcpy(out, "{\"data\":[", 9);
        k = 9;
        for (int i = 0; i < n; i++) {
                if (i > 0)
                        out[k++] = ',';
                size_t l = (size_t)PQgetlength(r, i, 0);
                memcpy(out + k, PQgetvalue(r, i, 0), l);
                k += l;
        }
        snprintf(out + k, len - k, "],\"has_more\":%s}", more ? "true" : "false");
        return out;
}
