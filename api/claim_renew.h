/* POST /v1/stores/{store}/refunds/{id}/claim-link (payout): a new claim link
 * for a refund still awaiting its destination (docs/claims.md). The old
 * token stops working; the answer is the refund with claim_url, lnurl,
 * lnurlw_url and claim_qr_svg, as at create. The shop's way to a link it lost, and the
 * dashboard's to show one (only the hash is stored). */
#ifndef QPAYD_API_CLAIM_RENEW_H
#define QPAYD_API_CLAIM_RENEW_H

#include "http.h"

void claim_renew(struct http_ctx *c);

#endif
