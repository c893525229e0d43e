#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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

cJSON *
rows_events(const PGresult *r)
{
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
                cJSON *e = cJSON_CreateObject();
                json_add_pg_int(e, "id", r, i, 0);
                json_add_pg_string(e, "actor", r, i, 1);
                json_add_pg_string(e, "event", r, i, 2);
                json_add_pg_string(e, "from_status", r, i, 3);
                json_add_pg_string(e, "to_status", r, i, 4);
                json_add_pg_json(e, "detail", r, i, 5);
                json_add_pg_string(e, "created_at", r, i, 6);
                cJSON_AddItemToArray(arr, e);
        }
        return arr;
}
