#include "approval.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SATS INT64_C(2100000000000000)

static int
field_ok(const char *name, const char *v, char *err, size_t errsz)
{
        if (v == NULL || v[0] == '\0') {
                snprintf(err, errsz, "%s is empty", name);
                return -1;
        }
        /* Printable ASCII only: no line break can shift a field, and no
         * control sequence can show the approver something else than what
         * is signed. Ids, destinations and times never need more. */
        for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
                if (*p <= 0x20 || *p >= 0x7f) {
                        snprintf(err, errsz,
                                 "%s holds a space, line break or other character outside "
                                 "printable ASCII",
                                 name);
                        return -1;
                }
        }
        return 0;
}

/* Exactly YYYY-MM-DDTHH:MM:SS.mmmZ: one spelling per instant, so the
 * approver and the executor sign and check the same bytes. */
static int
created_at_ok(const char *v)
{
        static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
        if (v == NULL || strlen(v) != sizeof(shape) - 1)
                return 0;
        for (size_t i = 0; shape[i]; i++) {
                if (shape[i] == 'd' ? !isdigit((unsigned char)v[i]) : v[i] != shape[i])
                        return 0;
        }
        return 1;
}

int
approval_message(const struct approval_fields *f, char *buf, size_t bufsz, char *err, size_t errsz)
{
        if (field_ok("store", f->store, err, errsz) != 0 ||
            field_ok("refund id", f->refund_id, err, errsz) != 0 ||
            field_ok("invoice id", f->invoice_id, err, errsz) != 0 ||
            field_ok("destination", f->destination, err, errsz) != 0)
                return -1;
        if (f->amount_sats <= 0 || f->amount_sats > MAX_SATS) {
                snprintf(err, errsz, "amount_sats %" PRId64 " is out of range", f->amount_sats);
                return -1;
        }
        if (!created_at_ok(f->created_at)) {
                snprintf(err, errsz, "created_at is not YYYY-MM-DDTHH:MM:SS.mmmZ");
                return -1;
        }
        int n = snprintf(buf, bufsz, "%s\n%s\n%s\n%s\n%" PRId64 "\n%s\n%s\n", APPROVAL_VERSION_LINE,
                         f->store, f->refund_id, f->invoice_id, f->amount_sats, f->destination,
                         f->created_at);
        if (n < 0 || (size_t)n >= bufsz) {
                snprintf(err, errsz, "the message is longer than %zu bytes", bufsz);
                return -1;
        }
        return n;
}

/* Decodes exactly n bytes of padded standard base64 from text (len chars). */
static int
b64_exact(const char *text, size_t len, unsigned char *out, size_t n)
{
        size_t got = 0;
        const char *end = NULL;
        if (sodium_base642bin(out, n, text, len, NULL, &got, &end,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
                return -1;
        return got == n && end == text + len ? 0 : -1;
}

int
approval_pk_parse(const char *text, unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
        size_t pre = strlen(APPROVAL_PK_PREFIX);
        if (text == NULL || strncmp(text, APPROVAL_PK_PREFIX, pre) != 0 ||
            strlen(text) != APPROVAL_PK_TEXT - 1)
                return -1;
        return b64_exact(text + pre, APPROVAL_PK_TEXT - 1 - pre, pk, crypto_sign_PUBLICKEYBYTES);
}

void
approval_pk_format(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[APPROVAL_PK_TEXT])
{
        size_t pre = strlen(APPROVAL_PK_PREFIX);
        memcpy(out, APPROVAL_PK_PREFIX, pre);
        sodium_bin2base64(out + pre, APPROVAL_PK_TEXT - pre, pk, crypto_sign_PUBLICKEYBYTES,
                          sodium_base64_VARIANT_ORIGINAL);
}

int
approval_sk_parse(const char *text, unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
        size_t pre = strlen(APPROVAL_SK_PREFIX);
        if (text == NULL || strncmp(text, APPROVAL_SK_PREFIX, pre) != 0)
                return -1;
        size_t len = strlen(text);
        while (len > pre && isspace((unsigned char)text[len - 1]))
                len--;
        if (len != APPROVAL_SK_TEXT - 1)
                return -1;
        return b64_exact(text + pre, len - pre, sk, crypto_sign_SECRETKEYBYTES);
}

void
approval_sk_format(const unsigned char sk[crypto_sign_SECRETKEYBYTES], char out[APPROVAL_SK_TEXT])
{
        size_t pre = strlen(APPROVAL_SK_PREFIX);
        memcpy(out, APPROVAL_SK_PREFIX, pre);
        sodium_bin2base64(out + pre, APPROVAL_SK_TEXT - pre, sk, crypto_sign_SECRETKEYBYTES,
                          sodium_base64_VARIANT_ORIGINAL);
}

int
approval_sign(const unsigned char sk[crypto_sign_SECRETKEYBYTES], const struct approval_fields *f,
              char sig[APPROVAL_SIG_TEXT], char *err, size_t errsz)
{
        char *msg = malloc(APPROVAL_MSG_MAX);
        if (msg == NULL) {
                snprintf(err, errsz, "out of memory");
                return -1;
        }
        unsigned char raw[crypto_sign_BYTES];
        int n = approval_message(f, msg, APPROVAL_MSG_MAX, err, errsz);
        int rc = -1;
        if (n >= 0 &&
            crypto_sign_detached(raw, NULL, (const unsigned char *)msg, (size_t)n, sk) == 0) {
                sodium_bin2base64(sig, APPROVAL_SIG_TEXT, raw, sizeof(raw),
                                  sodium_base64_VARIANT_ORIGINAL);
                rc = 0;
        } else if (n >= 0) {
                snprintf(err, errsz, "signing failed");
        }
        free(msg);
        return rc;
}

int
approval_verify(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *sig,
                const struct approval_fields *f, char *err, size_t errsz)
{
        unsigned char raw[crypto_sign_BYTES];
        if (sig == NULL || strlen(sig) != APPROVAL_SIG_TEXT - 1 ||
            b64_exact(sig, APPROVAL_SIG_TEXT - 1, raw, sizeof(raw)) != 0) {
                snprintf(err, errsz, "the signature is not 88 characters of base64 (64 bytes)");
                return -1;
        }
        char *msg = malloc(APPROVAL_MSG_MAX);
        if (msg == NULL) {
                snprintf(err, errsz, "out of memory");
                return -1;
        }
        int n = approval_message(f, msg, APPROVAL_MSG_MAX, err, errsz);
        int rc = -1;
        if (n >= 0) {
                rc = crypto_sign_verify_detached(raw, (const unsigned char *)msg, (size_t)n, pk);
                if (rc != 0) {
                        rc = -1;
                        snprintf(err, errsz,
                                 "the signature does not match this key and the refund's store, "
                                 "id, invoice, amount, destination and created_at");
                }
        }
        free(msg);
        return rc;
}

static int
keys_add(struct approval_keys *out, const char *text)
{
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        if (approval_pk_parse(text, pk) != 0)
                return -1;
        if (approval_keys_has(out, pk))
                return 0;
        void *grown = realloc(out->pk, (out->n + 1) * sizeof(*out->pk));
        if (grown == NULL)
                return -1;
        out->pk = grown;
        memcpy(out->pk[out->n++], pk, sizeof(pk));
        return 0;
}

static int
keys_from_list(const char *list, struct approval_keys *out, char *err, size_t errsz)
{
        char *copy = strdup(list);
        if (copy == NULL) {
                snprintf(err, errsz, "out of memory");
                return -1;
        }
        int rc = 0, pos = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy, " \t\r\n,", &save); t != NULL;
             t = strtok_r(NULL, " \t\r\n,", &save)) {
                pos++;
                if (keys_add(out, t) != 0) {
                        snprintf(err, errsz,
                                 "key %d is not \"ed25519:\" followed by 44 characters of base64 "
                                 "(32 bytes)",
                                 pos);
                        rc = -1;
                        break;
                }
        }
        free(copy);
        return rc;
}

static int
keys_from_file(const char *path, struct approval_keys *out, char *err, size_t errsz)
{
        FILE *f = fopen(path, "r");
        if (f == NULL) {
                snprintf(err, errsz, "%s: cannot be read: %s", path, strerror(errno));
                return -1;
        }
        char line[512];
        int lineno = 0, rc = 0;
        while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
                lineno++;
                char *hash = strchr(line, '#');
                if (hash != NULL)
                        *hash = '\0';
                char *s = line;
                while (isspace((unsigned char)*s))
                        s++;
                size_t len = strlen(s);
                while (len > 0 && isspace((unsigned char)s[len - 1]))
                        s[--len] = '\0';
                if (len == 0)
                        continue;
                if (keys_add(out, s) != 0) {
                        snprintf(err, errsz,
                                 "%s:%d: not \"ed25519:\" followed by 44 characters of base64 "
                                 "(32 bytes)",
                                 path, lineno);
                        rc = -1;
                }
        }
        if (rc == 0 && ferror(f)) {
                snprintf(err, errsz, "%s: read error", path);
                rc = -1;
        }
        fclose(f);
        return rc;
}

int
approval_keys_load(const char *list, const char *path, struct approval_keys *out, char *err,
                   size_t errsz)
{
        if (list != NULL && keys_from_list(list, out, err, errsz) != 0)
                return -1;
        if (path != NULL && keys_from_file(path, out, err, errsz) != 0)
                return -1;
        return 0;
}

int
approval_keys_has(const struct approval_keys *keys,
                  const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
        for (size_t i = 0; i < keys->n; i++)
                if (sodium_memcmp(keys->pk[i], pk, crypto_sign_PUBLICKEYBYTES) == 0)
                        return 1;
        return 0;
}

void
approval_keys_free(struct approval_keys *keys)
{
        free(keys->pk);
        keys->pk = NULL;
        keys->n = 0;
}
