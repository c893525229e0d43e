#include "refund_fields.h"

#include <stdlib.h>
#include <string.h>

#include "metadata.h"

/* 1 when s (valid UTF-8: the body passed jsonvalid) has 1..max characters,
 * counted as PostgreSQL's length() counts them, none of them a control
 * character (U+0000..U+001F, U+007F..U+009F: category Cc). */
static int
refund_fields_printable(const char *s, size_t max)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t chars = 0;
        for (; *p; p++) {
                if ((*p & 0xc0) != 0x80)
                        chars++;
                if (*p < 0x20 || *p == 0x7f)
                        return 0;
                /* U+0080..U+009F are C2 80..C2 9F in UTF-8. */
                if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                        return 0;
        }
        return chars >= 1 && chars <= max;
}

int
refund_fields_parse(struct http_ctx *c, const cJSON *body, struct refund_fields *f)
{
        memset(f, 0, sizeof(*f));
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(body, "reference");
        if (ref != NULL && !cJSON_IsNull(ref)) {
                if (!cJSON_IsString(ref) ||
                    !refund_fields_printable(ref->valuestring, REFUND_REFERENCE_MAX)) {
                        http_error(c, 400, "invalid_field",
                                   "reference must be a string of 1 to %d printable characters "
                                   "(no control characters)",
                                   REFUND_REFERENCE_MAX);
                        return -1;
                }
                f->reference = ref->valuestring;
        }
        const cJSON *bpf = cJSON_GetObjectItemCaseSensitive(body, "buyer_pays_fee");
        if (bpf != NULL && !cJSON_IsNull(bpf)) {
                if (!cJSON_IsBool(bpf)) {
                        http_error(c, 400, "invalid_field", "buyer_pays_fee must be true or false");
                        return -1;
                }
                f->buyer_pays_fee = cJSON_IsTrue(bpf);
        }
        return metadata_from_body(c, body, &f->metadata);
}

int
refund_fields_apply(struct http_ctx *c, const struct refund_fields *f, struct refund_plan *plan)
{
        if (f->buyer_pays_fee && strcmp(plan->backend, "bitcoin") != 0) {
                http_error(c, 422, "buyer_pays_fee_unsupported",
                           "buyer_pays_fee: a Lightning refund cannot take its fee from the "
                           "amount; only an on-chain refund (to a bitcoin address) can");
                return -1;
        }
        plan->reference = f->reference;
        plan->metadata = f->metadata;
        plan->buyer_pays_fee = f->buyer_pays_fee;
        return 0;
}

void
refund_fields_free(struct refund_fields *f)
{
        free(f->metadata);
        f->metadata = NULL;
}
