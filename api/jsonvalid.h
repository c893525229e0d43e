/* A strict JSON validator (RFC 8259 over UTF-8, RFC 3629) run over a whole
 * request body before cJSON sees it, so that what the parser reads, what
 * PostgreSQL stores and what the client sent are the same text. */
#ifndef QPAYD_JSONVALID_H
#define QPAYD_JSONVALID_H

#include <stddef.h>

/* Deepest nesting a caller may ask for: bounds the validator's recursion. */
#define JSONVALID_DEPTH_LIMIT 64

struct jsonvalid_error {
        size_t offset;  /* byte of text where it went wrong */
        char field[68]; /* top-level member being read (printable ASCII), or "" */
        char msg[200];  /* what is wrong, naming the field and the byte */
};

/* Checks that text[0..len) (any bytes; no terminator needed) is exactly one
 * JSON value with only whitespace around it: no byte order mark, no raw
 * control characters (NUL included) in strings, only the escapes of RFC 8259,
 * \u surrogates in well-formed pairs, well-formed UTF-8 (no overlong forms,
 * no encoded surrogates, nothing above U+10FFFF), and no \u0000 (PostgreSQL
 * text and jsonb cannot hold it). Arrays and objects may nest max_depth deep
 * (1..JSONVALID_DEPTH_LIMIT; "{}" is depth 1). Linear time, no allocation.
 * Returns 0, or -1 with err filled. */
int jsonvalid_check(const char *text, size_t len, int max_depth, struct jsonvalid_error *err);

#endif
