#include "claim_create.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_token.h"
#include "qr_svg.h"

int
claim_create_wanted(struct http_ctx *c, const cJSON *body, int *claim)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "claim");
        *claim = 0;
        if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v))
                return 0;
        if (!cJSON_IsTrue(v)) {
                http_error(c, 400, "invalid_field", "claim must be true or false");
                return -1;
        }
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "destination");
        if (d != NULL && !cJSON_IsNull(d)) {
                http_error(c, 400, "invalid_field",
                           "claim: a claimable refund has no destination; the customer gives it "
                           "on the claim page");
                return -1;
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "buyer_pays_fee"))) {
                http_error(c, 422, "buyer_pays_fee_unsupported",
                           "buyer_pays_fee: a claimable refund may be claimed over Lightning, "
                           "which cannot take its fee from the amount");
                return -1;
        }
        if (claim_create_available(c) != 0)
                return -1;
        *claim = 1;
        return 0;
}

int
claim_create_available(struct http_ctx *c)
{
        if (c->cfg->public_url != NULL)
                return 0;
        http_error(c, 422, "claim_unavailable",
                   "claim: qpayd has no [server] public_url to build the claim link on");
        return -1;
}

void
claim_create_plan(int64_t amount, const char *reason, struct refund_plan *rq)
{
        memset(rq, 0, sizeof(*rq));
        rq->amount_sats = amount;
        rq->reason = reason;
        rq->backend = "";
        rq->approval = "not_required";
        rq->execution = "auto";
}

void
claim_create_fields(const struct refund_fields *f, struct refund_plan *rq)
{
        rq->reference = f->reference;
        rq->metadata = f->metadata;
        rq->buyer_pays_fee = false;
}

void
claim_create_params(const struct refund_plan_row *row, const struct refund_plan *rq,
                    const char *token_hash, const char *lifetime_days,
                    const char *q[CLAIM_CREATE_NPARAMS])
{
        const char *v[CLAIM_CREATE_NPARAMS] = {row->id,
                                               row->store,
                                               row->invoice,
                                               row->amount,
                                               rq->reason,
                                               row->idem_key,
                                               row->actor,
                                               row->detail,
                                               row->window,
                                               row->idem_key ? row->idem_role : NULL,
                                               row->idem_key ? row->idem_fingerprint : NULL,
                                               rq->reference,
                                               rq->metadata,
                                               row->one_in_flight ? "true" : "false",
                                               row->notification_url,
                                               token_hash,
                                               lifetime_days};
        memcpy(q, v, sizeof(v));
}

/* The refund's JSON with the links added: spliced as text, since cJSON
 * would print a large amount in exponent form. */
void
claim_create_reply(struct http_ctx *c, int status, const char *refund_json, const char *token)
{
        struct claim_urls *u = calloc(1, sizeof(*u));
        cJSON *links = cJSON_CreateObject();
        char *tail = NULL, *out = NULL, *svg = NULL;
        size_t n = strlen(refund_json);
        /* The QR as the claim page draws it, so that a dashboard can show it
         * as an image without a QR library of its own. */
        if (u != NULL && links != NULL && n >= 2 && refund_json[n - 1] == '}' &&
            claim_urls_make(c->cfg->public_url, token, u) == 0 &&
            (svg = qr_svg_new(u->lnurl)) != NULL) {
                cJSON_AddStringToObject(links, "claim_url", u->page);
                cJSON_AddStringToObject(links, "lnurl", u->lnurl);
                cJSON_AddStringToObject(links, "lnurlw_url", u->lnurlw);
                cJSON_AddStringToObject(links, "claim_qr_svg", svg);
                tail = cJSON_PrintUnformatted(links);
        }
        size_t size = tail != NULL ? n + strlen(tail) + 2 : 0;
        if (tail != NULL && (out = malloc(size)) != NULL)
                snprintf(out, size, "%.*s,%s", (int)(n - 1), refund_json, tail + 1);
        if (out != NULL)
                http_reply_text(c, status, out);
        else
                http_error(c, 500, "internal", "the claim link could not be made (request %s)",
                           c->request_id);
        free(out);
        free(tail);
        free(svg);
        cJSON_Delete(links);
        free(u);
}
