#include "claim_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bech32.h"

static void
claim_hex(const unsigned char *b, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 15];
        }
        out[2 * n] = '\0';
}

void
claim_token_new(char token[CLAIM_TOKEN_LEN + 1], char hash[CLAIM_HASH_LEN + 1])
{
        unsigned char raw[CLAIM_TOKEN_LEN / 2];
        randombytes_buf(raw, sizeof(raw));
        claim_hex(raw, sizeof(raw), token);
        sodium_memzero(raw, sizeof(raw));
        claim_token_hash(token, hash);
}

int
claim_token_hash(const char *token, char hash[CLAIM_HASH_LEN + 1])
{
        size_t n = strlen(token);
        if (n != CLAIM_TOKEN_LEN || strspn(token, "0123456789abcdef") != n)
                return -1;
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)token, n);
        claim_hex(h, sizeof(h), hash);
        return 0;
}

int
claim_urls_make(const char *public_url, const char *token, struct claim_urls *u)
{
        if (public_url == NULL || *public_url == '\0')
                return -1;
        size_t n = strlen(public_url);
        while (n > 0 && public_url[n - 1] == '/')
                n--;
        const char *host = strstr(public_url, "://");
        if (host == NULL || n > 512)
                return -1;
        host += 3;
        size_t hn = n - (size_t)(host - public_url);
        snprintf(u->page, sizeof(u->page), "%.*s/claim/%s", (int)n, public_url, token);
        snprintf(u->withdraw, sizeof(u->withdraw), "%.*s/claim/%s/lnurlw", (int)n, public_url,
                 token);
        snprintf(u->lnurlw, sizeof(u->lnurlw), "lnurlw://%.*s/claim/%s/lnurlw", (int)hn, host,
                 token);
        snprintf(u->callback, sizeof(u->callback), "%.*s/lnurlw/callback", (int)n, public_url);
        return bech32_encode_bytes("lnurl", (const unsigned char *)u->withdraw, strlen(u->withdraw),
                                   1, u->lnurl, sizeof(u->lnurl));
}
