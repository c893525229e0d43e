/* Request bodies in, JSON out: strict parsing (unknown fields, wrong types and
 * non-integer amounts are 400s) and exact integer output. */
#ifndef QPAYD_API_JSON_H
#define QPAYD_API_JSON_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "http.h"
#include "jsontext.h"

#define JSON_MAX_DEPTH 8

/* Reads c's body as a JSON object whose keys are all in allowed (NULL
 * terminated). An empty body is an empty object when empty_ok. Returns the
 * object (caller cJSON_Delete's it) or NULL after answering 400/413. */
cJSON *json_body_object(struct http_ctx *c, const char *const *allowed, int empty_ok);

/* Optional string field: NULL when absent or null; answers 400 and sets *bad
 * when present with another type or longer than maxlen characters. */
const char *json_opt_string(struct http_ctx *c, const cJSON *obj, const char *key, size_t maxlen,
                            int *bad);

/* Adds an integer exactly (cJSON prints large doubles in exponent form). */
void json_add_i64(cJSON *obj, const char *key, int64_t v);
/* Adds column col of row as: NULL → null, else a string. */
void json_add_pg_string(cJSON *obj, const char *key, const PGresult *r, int row, int col);
/* Adds a bigint column as an exact integer, or null. */
void json_add_pg_int(cJSON *obj, const char *key, const PGresult *r, int row, int col);
/* Adds a jsonb column as its JSON text, or null. */
void json_add_pg_json(cJSON *obj, const char *key, const PGresult *r, int row, int col);

#endif
