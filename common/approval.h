/* Signed refund approvals: the canonical message both programs sign and
 * verify, and the text forms of Ed25519 keys and signatures. qpayd verifies
 * at the approve route; qpayd-executor verifies again from its own config,
 * since the database (and so every approval row) may be the attacker's.
 *
 * The message, version 1 (every field followed by one '\n'):
 *
 *   qpayd-approval-v1\n<store>\n<refund id>\n<invoice id>\n<amount_sats>\n
 *   <destination>\n<created_at>\n
 *
 * amount_sats in decimal without sign or leading zeros (1..2100000000000000);
 * created_at in UTC as `YYYY-MM-DDTHH:MM:SS.mmmZ` (milliseconds, the form of
 * the API's refund object). Every field is 1 or more characters of printable
 * ASCII without spaces (0x21..0x7e).
 *
 * Text forms: public key `ed25519:<base64 of 32 bytes>` (standard alphabet,
 * padded: 44 characters), signature `<base64 of 64 bytes>` (88 characters),
 * secret key file one line `ed25519-secret:<base64 of the 64-byte libsodium
 * secret key>`. */
#ifndef QPAYD_APPROVAL_H
#define QPAYD_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define APPROVAL_VERSION_LINE "qpayd-approval-v1"
#define APPROVAL_PK_PREFIX    "ed25519:"
#define APPROVAL_SK_PREFIX    "ed25519-secret:"
/* Text lengths, NUL included. */
#define APPROVAL_PK_TEXT  53   /* "ed25519:" + 44 */
#define APPROVAL_SIG_TEXT 89   /* 88 */
#define APPROVAL_SK_TEXT  104  /* "ed25519-secret:" + 88 */
#define APPROVAL_MSG_MAX  9000 /* destinations are at most 8192 bytes */

_Static_assert(crypto_sign_PUBLICKEYBYTES == 32, "ed25519 public key size");
_Static_assert(crypto_sign_BYTES == 64, "ed25519 signature size");

/* The signed fields of one refund, all borrowed. */
struct approval_fields {
        const char *store;
        const char *refund_id;
        const char *invoice_id;
        int64_t amount_sats;
        const char *destination;
        const char *created_at;
};

/* The public keys one store accepts. Owned: approval_keys_free. */
struct approval_keys {
        unsigned char (*pk)[crypto_sign_PUBLICKEYBYTES];
        size_t n;
};

/* Writes the canonical message of f into buf. Returns its length, or -1 with
 * err naming the field that cannot be signed. */
int approval_message(const struct approval_fields *f, char *buf, size_t bufsz, char *err,
                     size_t errsz);

/* "ed25519:<base64>" <-> 32 bytes. parse returns 0 or -1. */
int approval_pk_parse(const char *text, unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
void approval_pk_format(const unsigned char pk[crypto_sign_PUBLICKEYBYTES],
                        char out[APPROVAL_PK_TEXT]);
/* "ed25519-secret:<base64>" (trailing whitespace allowed) -> 64 bytes. */
int approval_sk_parse(const char *text, unsigned char sk[crypto_sign_SECRETKEYBYTES]);
void approval_sk_format(const unsigned char sk[crypto_sign_SECRETKEYBYTES],
                        char out[APPROVAL_SK_TEXT]);

/* Signs f with sk into sig (base64 text). 0, or -1 with err. */
int approval_sign(const unsigned char sk[crypto_sign_SECRETKEYBYTES],
                  const struct approval_fields *f, char sig[APPROVAL_SIG_TEXT], char *err,
                  size_t errsz);
/* 0 when sig (base64 text) is pk's signature of f's message; -1 with err
 * saying what was wrong (malformed signature, unsignable field, mismatch). */
int approval_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *sig,
                    const struct approval_fields *f, char *err, size_t errsz);

/* Reads keys from list (separated by spaces, tabs, commas or newlines; NULL
 * is none) and from the file at path (one key per line, '#' starts a
 * comment, blank lines ignored; NULL is none) into out (appending). Returns 0,
 * or -1 with err naming the file:line or the list position that was wrong. */
int approval_keys_load(const char *list, const char *path, struct approval_keys *out, char *err,
                       size_t errsz);
/* Is pk among keys? */
int approval_keys_has(const struct approval_keys *keys,
                      const unsigned char pk[crypto_sign_PUBLICKEYBYTES]);
void approval_keys_free(struct approval_keys *keys);

#endif
