/* The webhook signature header (docs/webhooks.md): Qpayd-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the store's
 * webhook secret>, as Stripe's, so the shop checks freshness and origin. */
#ifndef QPAYD_API_HOOK_SIGN_H
#define QPAYD_API_HOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* "t=...,v1=..." (the header's value) into out; 88 bytes are enough.
 * 0, or -1 when out is too small or libsodium fails. */
#define HOOK_SIGN_MAX 96
int hook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t size);

#endif
