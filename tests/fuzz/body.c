/* The request-body path of the API, on the whole input as a body:
 * json_body_object itself (api/json.c: depth, cJSON,
 * amount_check_json_numbers, object, known and unrepeated fields), then the
 * field checks of POST /invoices, /refunds and the refund actions that can
 * run without a request: amounts, strings (json_opt_string),
 * payment_methods, destinations (dest_parse) and the raw metadata text
 * (jsontext_raw_member), which must be the same object as the parsed tree's. */
#include <cjson/cJSON.h>

#include "dest.h"
#include "fuzz.h"
#include "json.h"
#include "jsontext.h"

/* Every field the POST routes allow. */
static const char *const fuzz_fields[] = {
    "amount_sats",        "description",    "metadata", "expiry_seconds", "payment_methods",
    "refund_destination", "destination",    "reason",   "tx_id",          "payment_proof",
    "fee_sats",           "failure_reason", NULL};

/* A refusal is a 400 naming what was wrong: a 500 would mean cJSON refused
 * text that jsonvalid_check accepted. */
static void
fuzz_refusal(const struct json_error *err)
{
        FUZZ_ASSERT(err->status == 400 && err->code != NULL && err->msg[0] != '\0');
}

/* json_opt_string's rule: absent, null, or a string of at most maxlen. */
static const char *
fuzz_opt_string(const cJSON *obj, const char *key, size_t maxlen)
{
        struct json_error err = {0};
        const char *v = json_opt_string(obj, key, maxlen, &err);
        if (err.status != 0)
                fuzz_refusal(&err);
        else if (v != NULL)
                FUZZ_ASSERT(strlen(v) <= maxlen);
        return v;
}

static void
fuzz_amount(const cJSON *obj, const char *key, int64_t min)
{
        char err[128];
        int64_t v;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (a != NULL && amount_from_json(a, min, &v, err, sizeof(err)) == 0)
                FUZZ_ASSERT(v >= min && v <= AMOUNT_MAX_SATS);
}

static void
fuzz_destination(const char *s)
{
        struct dest d;
        char err[160];
        if (s != NULL && dest_parse(s, DEST_NET_MAINNET, &d, err, sizeof(err)) != 0)
                FUZZ_ASSERT(err[0] != '\0');
}

/* metadata_from_body (api/metadata.c): the raw text of an object metadata
 * member is stored as the merchant wrote it; it must be that object. */
static void
fuzz_metadata(const cJSON *body, const char *raw, size_t len)
{
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "metadata");
        size_t off = 0, vlen = 0;
        if (!cJSON_IsObject(m) || jsontext_raw_member(raw, len, "metadata", &off, &vlen) != 0)
                return;
        FUZZ_ASSERT(off <= len && vlen <= len - off);
        cJSON *again = cJSON_ParseWithLength(raw + off, vlen);
        FUZZ_ASSERT(again != NULL);
        /* Printed, not cJSON_Compare: that finds 1e780 (inf) unequal to
         * itself. */
        char *a = cJSON_PrintUnformatted(again), *b = cJSON_PrintUnformatted(m);
        FUZZ_ASSERT(a != NULL && b != NULL && strcmp(a, b) == 0);
        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *body = fuzz_text(data, size); /* http_body: len bytes and a NUL */
        struct json_error err = {0};
        cJSON *obj = json_body_object(body, size, fuzz_fields, 0, &err);
        if (obj == NULL)
                fuzz_refusal(&err);
        if (obj != NULL) {
                fuzz_amount(obj, "amount_sats", 1);
                fuzz_amount(obj, "expiry_seconds", 0);
                fuzz_amount(obj, "fee_sats", 0);
                (void)fuzz_opt_string(obj, "description", 1000);
                (void)fuzz_opt_string(obj, "reason", 1000);
                fuzz_destination(fuzz_opt_string(obj, "refund_destination", DEST_MAX_LEN));
                fuzz_destination(fuzz_opt_string(obj, "destination", DEST_MAX_LEN));
                const cJSON *it, *m = cJSON_GetObjectItemCaseSensitive(obj, "payment_methods");
                if (cJSON_IsArray(m))
                        cJSON_ArrayForEach(it, m)(void) cJSON_IsString(it);
                fuzz_metadata(obj, body, size);
                cJSON_Delete(obj);
        }
        free(body);
        return 0;
}
