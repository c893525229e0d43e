/* The claim page, GET and POST /claim/{token} (docs/claims.md): HTML built
 * on the server with every value escaped, no script, a strict
 * Content-Security-Policy, the LNURL-withdraw QR as inline SVG, and a plain
 * form that posts the destination back to the same path. */
#ifndef QPAYD_API_CLAIM_PAGE_H
#define QPAYD_API_CLAIM_PAGE_H

#include "http.h"

/* The routes (router.c); each checks the client's rate first. */
void claim_page_get(struct http_ctx *c);
void claim_page_post(struct http_ctx *c);
/* GET /claim.css: the page's style sheet, built in. */
void claim_page_css(struct http_ctx *c);

#endif
