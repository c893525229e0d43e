/* The shop's metadata on an invoice or a refund: a JSON object kept as the
 * bytes the shop sent (cJSON's doubles would round integers past 2^53),
 * within a size and an exponent range PostgreSQL's jsonb can store. */
#ifndef QPAYD_API_METADATA_H
#define QPAYD_API_METADATA_H

#include <cjson/cJSON.h>

#include "http.h"

#define METADATA_MAX          8192 /* bytes of JSON text */
#define METADATA_MAX_EXPONENT 308

/* Member "metadata" of body, as sent: *out is malloc'd text, or NULL when
 * absent or null. Returns 0, or -1 (*out NULL) after answering 400 naming
 * the field. */
int metadata_from_body(struct http_ctx *c, const cJSON *body, char **out);

#endif
