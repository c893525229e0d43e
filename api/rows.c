#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

char *
rows_json_list(const PGresult *r, int n, int more)
{
        return rows_json_page(r, n, more, NULL);
}

char *
rows_json_page(const PGresult *r, int n, int more, const char *next_cursor)
{
        size_t len = 64 + (next_cursor ? strlen(next_cursor) : 0);
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
        /* A cursor is hex digits (listq.c): nothing to escape. */
        snprintf(out + k, len - k, "],\"has_more\":%s,\"next_cursor\":%s%s%s}",
                 more ? "true" : "false", next_cursor ? "\"" : "",
                 next_cursor ? next_cursor : "null", next_cursor ? "\"" : "");
        return out;
}

cJSON *
rows_array(const PGresult *r, const struct rows_col *cols)
{
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; arr != NULL && i < PQntuples(r); i++) {
                cJSON *o = cJSON_CreateObject();
                for (int k = 0; cols[k].name != NULL; k++) {
                        if (cols[k].kind == ROWS_INT)
                                json_add_pg_int(o, cols[k].name, r, i, k);
                        else if (cols[k].kind == ROWS_JSON)
                                json_add_pg_json(o, cols[k].name, r, i, k);
                        else
                                json_add_pg_string(o, cols[k].name, r, i, k);
                }
                cJSON_AddItemToArray(arr, o);
        }
        return arr;
}

cJSON *
rows_events(const PGresult *r)
{
        static const struct rows_col cols[] = {
            {"id", ROWS_INT},           {"actor", ROWS_TEXT},     {"event", ROWS_TEXT},
            {"from_status", ROWS_TEXT}, {"to_status", ROWS_TEXT}, {"detail", ROWS_JSON},
            {"created_at", ROWS_TEXT},  {NULL, ROWS_TEXT}};
        return rows_array(r, cols);
}
