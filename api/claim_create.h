/* Refund create with "claim": true (docs/claims.md): the parts of
 * api/refunds.c's create that differ for a refund the customer claims. */
#ifndef QPAYD_API_CLAIM_CREATE_H
#define QPAYD_API_CLAIM_CREATE_H

#include <cjson/cJSON.h>

#include "http.h"
#include "refund_fields.h"
#include "refund_plan.h"

/* Reads "claim" from body into *claim (0 when absent or false). 0, or -1
 * after answering 400 (not a boolean, or with a destination, or with
 * buyer_pays_fee) or 422 (no [server] public_url for the links). */
int claim_create_wanted(struct http_ctx *c, const cJSON *body, int *claim);
/* 0 when claim links can be made (a [server] public_url), else -1 after
 * answering 422 claim_unavailable. */
int claim_create_available(struct http_ctx *c);

/* The plan of a claimable refund: the amount and reason, no destination,
 * hence no backend yet; approval and execution are decided at the claim,
 * by the destination's backend (api/claim_submit.c). */
void claim_create_plan(int64_t amount, const char *reason, struct refund_plan *rq);

/* refund_fields_apply for a claim: reference and metadata
 * (claim_create_wanted refused buyer_pays_fee). */
void claim_create_fields(const struct refund_fields *f, struct refund_plan *rq);

#define CLAIM_CREATE_NPARAMS 17
/* STMT_CLAIM_CREATE's parameters, into q; they borrow from row and rq. */
void claim_create_params(const struct refund_plan_row *row, const struct refund_plan *rq,
                         const char *token_hash, const char *lifetime_days,
                         const char *q[CLAIM_CREATE_NPARAMS]);

/* Answers status with the refund (JSON text) and its links:
 * claim_url, lnurl, lnurlw_url and claim_qr_svg (the QR of lnurl, for a
 * dashboard). The token is in no log. */
void claim_create_reply(struct http_ctx *c, int status, const char *refund_json, const char *token);

#endif
