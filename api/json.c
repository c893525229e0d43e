#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "jsonvalid.h"

_Static_assert(JSON_MAX_DEPTH >= 1 && JSON_MAX_DEPTH <= JSONVALID_DEPTH_LIMIT,
               "jsonvalid_check bounds its recursion at JSONVALID_DEPTH_LIMIT");

static void json_fail(struct json_error *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
json_fail(struct json_error *err, int status, const char *code, const char *fmt, ...)
{
        err->status = status;
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
}

cJSON *
json_body_object(const char *body, size_t len, const char *const *allowed, int empty_ok,
                 struct json_error *err)
{
        size_t start = 0;
        while (start < len && (body[start] == ' ' || body[start] == '\t' || body[start] == '\r' ||
                               body[start] == '\n'))
                start++;
        if (start == len && empty_ok) {
                cJSON *empty = cJSON_CreateObject();
                if (empty == NULL)
                        json_fail(err, 500, "internal", "out of memory reading the request body");
                return empty;
        }
        /* The whole body first: what cJSON reads, what PostgreSQL stores and
         * what the client sent must be the same text, and invalid JSON is
         * invalid_json whatever else is wrong with it. */
        struct jsonvalid_error verr;
        if (jsonvalid_check(body, len, JSON_MAX_DEPTH, &verr) != 0) {
                json_fail(err, 400, "invalid_json", "request body is not valid JSON: %s", verr.msg);
                return NULL;
        }
        /* Amounts must be written as integers: reject 1.5, 1e3 and -1 from the
         * text, which cJSON would turn into doubles. The body is valid JSON,
         * hence free of NULs, so its terminator ends the scan. */
        char aerr[256];
        if (amount_check_json_numbers(body, aerr, sizeof(aerr)) != 0) {
                json_fail(err, 400, "invalid_amount", "%s", aerr);
                return NULL;
        }
        cJSON *root = cJSON_ParseWithLength(body, len);
        if (root == NULL) {
                /* Valid text, so only memory can be short here. */
                json_fail(err, 500, "internal", "out of memory reading the request body");
                return NULL;
        }
        if (!cJSON_IsObject(root)) {
                cJSON_Delete(root);
                json_fail(err, 400, "invalid_json", "request body must be a JSON object");
                return NULL;
        }
        for (const cJSON *f = root->child; f != NULL; f = f->next) {
                int known = 0;
                for (const char *const *a = allowed; *a && !known; a++)
                        known = strcmp(*a, f->string) == 0;
                for (const cJSON *g = root->child; g != f && known; g = g->next)
                        known = strcmp(g->string, f->string) != 0;
                if (!known) {
                        /* At most 64 bytes of the name, cut where a UTF-8
                         * character starts so the answer stays valid JSON. */
                        int n = 64;
                        if (strlen(f->string) > 64)
                                while (n > 0 && ((unsigned char)f->string[n] & 0xc0) == 0x80)
                                        n--;
                        json_fail(err, 400, "invalid_field", "field '%.*s' is unknown or repeated",
                                  n, f->string);
                        cJSON_Delete(root);
                        return NULL;
                }
        }
        return root;
}

const char *
json_opt_string(const cJSON *obj, const char *key, size_t maxlen, struct json_error *err)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (v == NULL || cJSON_IsNull(v))
                return NULL;
        if (!cJSON_IsString(v)) {
                json_fail(err, 400, "invalid_field", "%s must be a string", key);
                return NULL;
        }
        if (strlen(v->valuestring) > maxlen) {
                json_fail(err, 400, "invalid_field", "%s is longer than %zu characters", key,
                          maxlen);
                return NULL;
        }
        return v->valuestring;
}

void
json_add_i64(cJSON *obj, const char *key, int64_t v)
{
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", (long long)v);
        cJSON_AddRawToObject(obj, key, buf);
}

void
json_add_pg_string(cJSON *obj, const char *key, const PGresult *r, int row, int col)
{
        if (PQgetisnull(r, row, col))
                cJSON_AddNullToObject(obj, key);
        else
                cJSON_AddStringToObject(obj, key, PQgetvalue(r, row, col));
}

void
json_add_pg_int(cJSON *obj, const char *key, const PGresult *r, int row, int col)
{
        if (PQgetisnull(r, row, col))
                cJSON_AddNullToObject(obj, key);
        else
                /* bigint text from PostgreSQL is a plain integer: copy it as is. */
                cJSON_AddRawToObject(obj, key, PQgetvalue(r, row, col));
}

void
json_add_pg_json(cJSON *obj, const char *key, const PGresult *r, int row, int col)
{
        /* jsonb's text output is valid JSON; copying it keeps the merchant's
         * numbers exactly as stored. */
        if (PQgetisnull(r, row, col))
                cJSON_AddNullToObject(obj, key);
        else
                cJSON_AddRawToObject(obj, key, PQgetvalue(r, row, col));
}
