/* The raw-text JSON readers (common/jsontext.c) and the strict validator
 * (api/jsonvalid.c) on any bytes, read in place: libFuzzer's buffer ends
 * exactly at size, with no terminator, so AddressSanitizer sees any read
 * past the text. Whatever they report must lie within the text, and text
 * the validator accepts must be JSON cJSON reads. */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "jsontext.h"
#include "jsonvalid.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        size_t off = 0, len = 0;
        struct jsonvalid_error verr;
        if (jsonvalid_check(text, size, 8, &verr) == 0) {
                cJSON *root = cJSON_ParseWithLength(text, size);
                FUZZ_ASSERT(root != NULL);
                cJSON_Delete(root);
        } else {
                FUZZ_ASSERT(verr.msg[0] != '\0');
        }
        FUZZ_ASSERT(jsontext_value_len(text, size) <= size);
        /* The members and elements the callers ask for. */
        static const char *const keys[] = {"result", "metadata", "amount", "fee", "confirmations"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (jsontext_raw_member(text, size, keys[k], &off, &len) == 0)
                        FUZZ_ASSERT(off <= size && len <= size - off);
        for (int idx = 0; idx < 3; idx++)
                if (jsontext_raw_element(text, size, idx, &off, &len) == 0)
                        FUZZ_ASSERT(off <= size && len <= size - off);
        return 0;
}
