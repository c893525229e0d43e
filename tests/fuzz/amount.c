/* The amount readers (common/amount.c): BTC decimals as bitcoind writes them
 * (amount_parse_btc, with amount_format_btc as its inverse), satoshi strings
 * as clients send them (amount_from_json), and the raw body scan that
 * refuses non-integer amounts (amount_check_json_numbers; the body harness
 * runs it in its place in the request path). */
#include <cjson/cJSON.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        char err[256], btc[AMOUNT_BTC_STRLEN];
        int64_t sats = 0, again = 0;
        if (amount_parse_btc((const char *)data, size, &sats) == 0) {
                FUZZ_ASSERT(sats >= -AMOUNT_MAX_SATS && sats <= AMOUNT_MAX_SATS);
                /* Formatting and parsing again gives the same satoshis. */
                FUZZ_ASSERT(amount_format_btc(sats < 0 ? -sats : sats, btc, sizeof(btc)) == 0);
                FUZZ_ASSERT(amount_parse_btc(btc, strlen(btc), &again) == 0);
                FUZZ_ASSERT(again == (sats < 0 ? -sats : sats));
        }
        cJSON *str = cJSON_CreateString(text);
        if (str != NULL && amount_from_json(str, 0, &sats, err, sizeof(err)) == 0) {
                /* Only plain digits make an amount, and they are its value. */
                FUZZ_ASSERT(strspn(text, "0123456789") == strlen(text));
                FUZZ_ASSERT(sats == strtoll(text, NULL, 10) && sats <= AMOUNT_MAX_SATS);
        }
        cJSON_Delete(str);
        if (amount_check_json_numbers(text, err, sizeof(err)) != 0)
                FUZZ_ASSERT(err[0] != '\0');
        free(text);
        return 0;
}
