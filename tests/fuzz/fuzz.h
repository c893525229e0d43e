/* Shared by the libFuzzer harnesses in tests/fuzz/ (docs/fuzzing.md). Each
 * harness feeds its input to one parser the way the program does and then
 * checks what the parser promises: a broken promise aborts, so libFuzzer
 * reports it like a sanitizer finding. */
#ifndef QPAYD_FUZZ_H
#define QPAYD_FUZZ_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "hex.h"
#include "httpc.h"
#include "outcome.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A preimage and its SHA-256, as in the unit tests: seeds use them so that a
 * "paid" answer can really prove payment. */
#define FUZZ_PRE1  "0101010101010101010101010101010101010101010101010101010101010101"
#define FUZZ_HASH1 "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"

#define FUZZ_ASSERT(cond)                                                                          \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* A NUL-terminated copy of data, as every caller holds its text (http_body,
 * httpc bodies): reads past the NUL are still caught by ASan. */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (s == NULL)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* "" or 64 lowercase hex digits, NUL-terminated within 65 bytes. */
static inline int
fuzz_hex64_or_empty(const char s[65])
{
        if (memchr(s, '\0', 65) == NULL)
                return 0;
        if (s[0] == '\0')
                return 1;
        for (int i = 0; i < 64; i++)
                if (hex_digit(s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
                        return 0;
        return s[64] == '\0';
}

/* A backend answer as a harness input: "<mode><ddd><body>". The mode letter
 * picks the call (upper case: with the expected payment hash FUZZ_HASH1,
 * lower case: without); ddd is the HTTP status, "000" meaning no answer
 * after sending (a timeout); the rest is the body, NUL-terminated like
 * httpc's. Seeds stay readable: "p200{...}". Returns 0, or -1 when the input
 * is shorter than the header. */
struct fuzz_answer {
        char mode;            /* lower case */
        const char *expected; /* FUZZ_HASH1 or NULL */
        struct httpc_response resp;
};

static inline int
fuzz_answer_init(struct fuzz_answer *a, const uint8_t *data, size_t size)
{
        memset(a, 0, sizeof(*a));
        if (size < 4)
                return -1;
        a->mode = (char)tolower(data[0]);
        a->expected = isupper(data[0]) ? FUZZ_HASH1 : NULL;
        for (int i = 1; i < 4; i++)
                a->resp.status = a->resp.status * 10 + (isdigit(data[i]) ? data[i] - '0' : 0);
        a->resp.sent = 1;
        if (a->resp.status == 0) {
                a->resp.err = HTTPC_ERR_TIMEOUT;
                snprintf(a->resp.errmsg, sizeof(a->resp.errmsg), "timed out");
        }
        a->resp.body = fuzz_text(data + 4, size - 4);
        a->resp.len = size - 4;
        return 0;
}

/* What every payout classifier promises (executor/outcome.h): the outcome
 * returned is the one recorded, strings fit, hashes are lowercase hex, a
 * fee is -1 or an amount, and a proof always hashes to the payment hash
 * (and to the expected one when the caller knew it): a preimage that does
 * not is never taken as payment. */
static inline void
fuzz_payout_check(const struct payout_result *r, enum outcome o, const char *expected)
{
        FUZZ_ASSERT(r->outcome == o);
        FUZZ_ASSERT(o >= OUTCOME_SUCCEEDED && o <= OUTCOME_NOT_FOUND);
        FUZZ_ASSERT(fuzz_hex64_or_empty(r->proof));
        FUZZ_ASSERT(fuzz_hex64_or_empty(r->tx_id));
        FUZZ_ASSERT(fuzz_hex64_or_empty(r->payment_hash));
        FUZZ_ASSERT(memchr(r->payment_id, '\0', sizeof(r->payment_id)) != NULL);
        FUZZ_ASSERT(memchr(r->reason, '\0', sizeof(r->reason)) != NULL && r->reason[0] != '\0');
        FUZZ_ASSERT(r->fee_sats >= -1 && r->fee_sats <= AMOUNT_MAX_SATS);
        if (r->proof[0] != '\0') {
                FUZZ_ASSERT(o == OUTCOME_SUCCEEDED);
                FUZZ_ASSERT(outcome_preimage_matches(r->proof, r->payment_hash));
                FUZZ_ASSERT(expected == NULL || strcmp(r->payment_hash, expected) == 0);
        }
}

#endif
