/* The raw-text JSON readers (common/jsontext.c) on any text, as they are
 * called: on answers and bodies whose text is NUL-terminated (len bytes,
 * then '\0'). Whatever they report must lie within the text. */
#include "fuzz.h"
#include "jsontext.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        size_t off = 0, len = 0;
        (void)json_depth(text, size);
        FUZZ_ASSERT(json_value_len(text, size) <= size);
        /* The members and elements the callers ask for. */
        static const char *const keys[] = {"result", "metadata", "amount", "fee", "confirmations"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                if (json_raw_member(text, size, keys[k], &off, &len) == 0)
                        FUZZ_ASSERT(off <= size && len <= size - off);
        for (int idx = 0; idx < 3; idx++)
                if (json_raw_element(text, size, idx, &off, &len) == 0)
                        FUZZ_ASSERT(off <= size && len <= size - off);
        free(text);
        return 0;
}
