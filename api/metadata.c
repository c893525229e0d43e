#include "metadata.h"

#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

int
metadata_from_body(struct http_ctx *c, const cJSON *body, char **out)
{
        const cJSON *metadata = cJSON_GetObjectItemCaseSensitive(body, "metadata");
        *out = NULL;
        if (metadata == NULL || cJSON_IsNull(metadata))
                return 0;
        if (!cJSON_IsObject(metadata)) {
                http_error(c, 400, "invalid_field", "metadata must be a JSON object");
                return -1;
        }
        size_t blen = 0, off = 0, vlen = 0;
        char *raw = http_body(c, &blen);
        if (raw == NULL)
                return -1;
        if (jsontext_raw_member(raw, blen, "metadata", &off, &vlen) == 0) {
                memmove(raw, raw + off, vlen);
                raw[vlen] = '\0';
                *out = raw;
        } else {
                free(raw);
                *out = cJSON_PrintUnformatted(metadata);
        }
        if (*out == NULL || strlen(*out) > METADATA_MAX) {
                http_error(c, 400, "invalid_field", "metadata is larger than %d bytes",
                           METADATA_MAX);
                goto bad;
        }
        /* PostgreSQL's numeric holds 16383 digits after the point, so jsonb
         * refuses 1e-20000; a double's range is plenty for metadata and,
         * within 8 KiB, always fits. */
        if (jsontext_max_exponent(*out, strlen(*out)) > METADATA_MAX_EXPONENT) {
                http_error(c, 400, "invalid_field",
                           "metadata: number exponents must be within -%d..%d",
                           METADATA_MAX_EXPONENT, METADATA_MAX_EXPONENT);
                goto bad;
        }
        return 0;
bad:
        free(*out);
        *out = NULL;
        return -1;
}
