/* Request bodies in, JSON out: strict parsing (unknown fields, wrong types and
 * non-integer amounts are 400s) and exact integer output. The bottom of api/:
 * nothing here answers a request; a failure is described in a json_error for
 * the caller to answer (handler_body_object, handler_opt_string). */
#ifndef QPAYD_API_JSON_H
#define QPAYD_API_JSON_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "jsontext.h"

#define JSON_MAX_DEPTH 8

/* Why a body or a field was refused: the answer the caller gives. */
struct json_error {
        int status;       /* HTTP status (400, or 500 out of memory); 0: no error */
        const char *code; /* e.g. "invalid_json" (a string literal) */
        char msg[320];    /* names what was wrong */
};

/* Reads body (len bytes, NUL-terminated) as a JSON object whose keys are all
 * in allowed (NULL terminated). An empty body is an empty object when
 * empty_ok. Returns the object (caller cJSON_Delete's it), or NULL with
 * *err filled. */
cJSON *json_body_object(const char *body, size_t len, const char *const *allowed, int empty_ok,
                        struct json_error *err);

/* Optional string field: NULL when absent or null; NULL with *err filled
 * when present with another type or longer than maxlen characters. */
const char *json_opt_string(const cJSON *obj, const char *key, size_t maxlen,
                            struct json_error *err);

/* Adds an integer exactly (cJSON prints large doubles in exponent form). */
void json_add_i64(cJSON *obj, const char *key, int64_t v);
/* Adds column col of row as: NULL → null, else a string. */
void json_add_pg_string(cJSON *obj, const char *key, const PGresult *r, int row, int col);
/* Adds a bigint column as an exact integer, or null. */
void json_add_pg_int(cJSON *obj, const char *key, const PGresult *r, int row, int col);
/* Adds a jsonb column as its JSON text, or null. */
void json_add_pg_json(cJSON *obj, const char *key, const PGresult *r, int row, int col);

#endif
