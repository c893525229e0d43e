/* Amounts of money: integer satoshis (int64_t) from end to end, never
 * floating point arithmetic. Parses what users and backends send, formats
 * what bitcoind expects. */
#ifndef QPAYD_AMOUNT_H
#define QPAYD_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* 21 million BTC: no amount above this is real. */
#define AMOUNT_MAX_SATS 2100000000000000LL

/* Longest "%lld.%08lld" of 0..AMOUNT_MAX_SATS, NUL included: "21000000.00000000". */
#define AMOUNT_BTC_STRLEN 18

/* Reads satoshis from a cJSON item: a number that is finite, integral and
 * within min..AMOUNT_MAX_SATS (checked on the double before converting; every
 * integer up to AMOUNT_MAX_SATS is exact in a double), or a string of 1 to 16
 * decimal digits without sign, spaces, fraction, exponent or leading zeros
 * ("0" itself is fine) within the same range. min must be within
 * -AMOUNT_MAX_SATS..AMOUNT_MAX_SATS. Returns 0, or -1 with err such as "must
 * be an integer number of satoshis", "must be at least 1", "exceeds 21000000
 * BTC" (the caller puts the field name in front).
 * cJSON has already turned 1e3 and 1000.0 into 1000 here: reject those with
 * amount_check_json_numbers on the raw body first. */
int amount_from_json(const cJSON *item, int64_t min, int64_t *out, char *err, size_t errsz);

/* Scans a raw JSON text (NUL terminated) and refuses any number written with
 * a fraction, an exponent or a minus sign when it is the value of a key ending
 * in "_sats" (ASCII case-insensitive, escapes decoded, as cJSON's lookups
 * match), or an element, at any depth, of an array that is such a value; and
 * any escape in a string in those places ("1\u0000" reaches cJSON users as
 * "1"); and any such number above AMOUNT_MAX_SATS, judged from its digits.
 * Call it on every request body before cJSON_Parse. Returns 0, or -1 with err
 * naming the key (e.g. "refund_sats must be an integer number of satoshis"),
 * or saying that the body is not JSON. */
int amount_check_json_numbers(const char *body, char *err, size_t errsz);

/* Writes sats (0..AMOUNT_MAX_SATS) as a BTC decimal with exactly 8 decimals,
 * the form bitcoind takes: 2000 -> "0.00002000". Returns 0, or -1 when sats
 * is out of range or buf is too small (then buf holds ""). */
int amount_format_btc(int64_t sats, char *buf, size_t bufsz);

/* Parses a BTC amount as bitcoind writes it in JSON text, exactly, from the
 * text: optional '-', digits (no leading zeros), optional '.' and 1 to 8
 * decimals; no exponent, no '+', no spaces. text need not be NUL terminated.
 * |result| must not exceed AMOUNT_MAX_SATS. Returns 0, or -1. */
int amount_parse_btc(const char *text, size_t len, int64_t *sats);

/* Millisatoshis to satoshis only when exact (msat % 1000 == 0) and within
 * 0..AMOUNT_MAX_SATS. Returns 0, or -1. */
int amount_msat_to_sat(int64_t msat, int64_t *sats);

#endif
