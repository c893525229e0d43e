/* Reading JSON as text, where a parsed tree would lose something: the exact
 * bytes of a member (numbers keep every digit: merchant metadata, bitcoind
 * amounts) and the exponents written. Checking a body is jsonvalid's.
 * Every function reads only text[0..len), whatever the bytes are (malformed,
 * truncated, holding NULs, not NUL terminated); results always lie within
 * the text. Only well-formed text gives meaningful results. */
#ifndef QPAYD_JSONTEXT_H
#define QPAYD_JSONTEXT_H

#include <stddef.h>

/* Finds the value of the top-level member key in a JSON object's text (the
 * exact bytes the client sent, so numbers keep every digit). Returns 0 with
 * the value's offset and length, or -1 when absent (or written with escapes). */
int jsontext_raw_member(const char *text, size_t len, const char *key, size_t *off, size_t *vlen);

/* Length of the JSON value at p: a string, an object or array, or a scalar
 * up to its delimiter; at most n (n when the value is not closed). */
size_t jsontext_value_len(const char *p, size_t n);

/* Finds the raw text of element idx of the JSON array text arr (which starts
 * with '['). Returns 0 with its offset and length within arr, or -1. */
int jsontext_raw_element(const char *arr, size_t len, int idx, size_t *off, size_t *elen);

/* Largest |exponent| written in a number of text (1e-400 gives 400), at
 * most JSON_EXPONENT_CAP; 0 when no number has one. PostgreSQL's numeric
 * refuses some (jsonb '1e-20000' overflows) where JSON has no limit. */
#define JSON_EXPONENT_CAP 1000000L
long jsontext_max_exponent(const char *text, size_t len);

#endif
