#include "whoami.h"

#include "auth.h"
#include "handler.h"

/* The same decisions every route makes (auth_decide), asked in advance. */
void
whoami_get(struct http_ctx *c)
{
        const struct config_store *s = handler_store(c);
        if (s == NULL)
                return;
        const char *tok = auth_bearer(c, s);
        if (tok == NULL)
                return;
        int invoices = auth_decide(s, AUTH_INVOICE, tok) != AUTH_ROLE_NONE;
        enum auth_role read = auth_decide(s, AUTH_ADMIN, tok);
        enum auth_role payout = auth_decide(s, AUTH_PAYOUT, tok);
        int approve = auth_decide(s, AUTH_APPROVE, tok) != AUTH_ROLE_NONE;
        int mark_paid = auth_decide(s, AUTH_MARK_PAID, tok) != AUTH_ROLE_NONE;
        enum auth_role role = approve                      ? AUTH_ROLE_ADMIN
                              : read == AUTH_ROLE_PAYOUT   ? AUTH_ROLE_PAYOUT
                              : payout == AUTH_ROLE_PAYOUT ? AUTH_ROLE_PAYOUT
                              : invoices                   ? AUTH_ROLE_API
                              : read != AUTH_ROLE_NONE     ? read
                                                           : payout;
        if (role == AUTH_ROLE_NONE) {
                http_error(c, 401, "unauthorized", "the token is none of store %s's", s->id);
                return;
        }
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "store_id", s->id);
        cJSON_AddStringToObject(body, "role", auth_role_name(role));
        cJSON *can = cJSON_AddObjectToObject(body, "can");
        cJSON_AddBoolToObject(can, "invoices", invoices);
        cJSON_AddBoolToObject(can, "mark_paid", mark_paid);
        cJSON_AddBoolToObject(can, "refunds_read", read != AUTH_ROLE_NONE);
        cJSON_AddBoolToObject(can, "refund_create", payout != AUTH_ROLE_NONE);
        cJSON_AddBoolToObject(can, "approve", approve);
        cJSON_AddBoolToObject(body, "signed_approvals", s->approval_keys.n > 0);
        http_reply_json(c, 200, body);
}
