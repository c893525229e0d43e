/* LNURL-withdraw (LUD-03, LUD-17) of a claimable refund (docs/claims.md):
 * GET /claim/{token}/lnurlw answers the withdrawRequest (k1 is the claim
 * token, min = max = the refund in msat); GET /lnurlw/callback?k1&pr claims
 * the refund for the wallet's bolt11. Answers are LUD-03's: 200 with
 * {"status":"OK"} or {"status":"ERROR","reason":…}. */
#ifndef QPAYD_API_CLAIM_LNURL_H
#define QPAYD_API_CLAIM_LNURL_H

#include "http.h"

void claim_lnurl_get(struct http_ctx *c);
void claim_lnurl_callback(struct http_ctx *c);

#endif
