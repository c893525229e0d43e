/* The claim link of a claimable refund (docs/claims.md): a 128-bit random
 * token, shown to the shop once and stored only as its sha256, and the URLs
 * built from it: the claim page, its LNURL-withdraw (LUD-01 bech32, LUD-17
 * lnurlw://) and the callback. */
#ifndef QPAYD_API_CLAIM_TOKEN_H
#define QPAYD_API_CLAIM_TOKEN_H

#include <stddef.h>

#define CLAIM_TOKEN_LEN 32 /* lowercase hex of 16 random bytes */
#define CLAIM_HASH_LEN  64 /* lowercase hex of its sha256 */
#define CLAIM_URL_MAX   1200

/* A new token (NUL terminated) and its hash. */
void claim_token_new(char token[CLAIM_TOKEN_LEN + 1], char hash[CLAIM_HASH_LEN + 1]);

/* The hash of token when it is well formed (32 lowercase hex); else -1. */
int claim_token_hash(const char *token, char hash[CLAIM_HASH_LEN + 1]);

/* The links of a token under public_url (no trailing slash needed). */
struct claim_urls {
        char page[CLAIM_URL_MAX];      /* <public_url>/claim/<token> */
        char withdraw[CLAIM_URL_MAX];  /* <public_url>/claim/<token>/lnurlw */
        char lnurl[CLAIM_URL_MAX * 2]; /* LNURL1… (uppercase bech32 of withdraw) */
        char lnurlw[CLAIM_URL_MAX];    /* lnurlw://host/claim/<token>/lnurlw */
        char callback[CLAIM_URL_MAX];  /* <public_url>/lnurlw/callback */
};
/* Fills u; -1 when public_url is missing or too long. */
int claim_urls_make(const char *public_url, const char *token, struct claim_urls *u);

#endif
