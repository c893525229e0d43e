/* The fields a shop attaches to a refund it creates (issue 15): its own
 * `reference`, its `metadata`, and `buyer_pays_fee` (on-chain only: the
 * wallet takes the fee from the amount). Read from the create body, checked,
 * then handed to the plan (refund_plan.h), which stores them. */
#ifndef QPAYD_API_REFUND_FIELDS_H
#define QPAYD_API_REFUND_FIELDS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "refund_plan.h"

#define REFUND_REFERENCE_MAX 100 /* characters */

struct refund_fields {
        const char *reference; /* borrowed from the body; NULL when absent */
        char *metadata;        /* owned JSON text as sent; NULL when absent */
        bool buyer_pays_fee;
};

/* Reads and checks the fields of body into f. Returns 0, or -1 after
 * answering 400 naming the field (f then holds nothing to free). */
int refund_fields_parse(struct http_ctx *c, const cJSON *body, struct refund_fields *f);
/* Puts f into plan, once the plan knows its backend: buyer_pays_fee on a
 * Lightning refund is 422. Returns 0, or -1 after answering. plan borrows
 * from f. */
int refund_fields_apply(struct http_ctx *c, const struct refund_fields *f,
                        struct refund_plan *plan);
void refund_fields_free(struct refund_fields *f);

#endif
