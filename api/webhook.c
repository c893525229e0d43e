#include "webhook.h"

#include <event2/http.h>
#include <stdlib.h>

#include "handler.h"
#include "lnrecv.h"
#include "log.h"
#include "metrics.h"
#include "receiver.h"

void
webhook_phoenixd(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        if (!store->lightning.present || store->lightning.webhook_secret == NULL) {
                http_error(c, 404, "webhook_not_configured",
                           "store %s has no [stores.lightning] webhook_secret_env", store->id);
                return;
        }
        const char *sig = http_header(c, "X-Phoenix-Signature");
        size_t len = 0;
        char *body = http_body(c, &len);
        if (body == NULL)
                return;
        char hash[65];
        if (lnrecv_webhook_verify(store->lightning.webhook_secret, body, len, sig) != 0) {
                metrics_count_webhook(METRICS_WEBHOOK_BAD_SIGNATURE);
                log_warn("phoenixd webhook refused: bad or missing signature", "request_id",
                         c->request_id, "store", store->id);
                http_error(c, 401, "invalid_signature",
                           "X-Phoenix-Signature is missing or does not match the body");
        } else if (lnrecv_webhook_hash(body, len, hash) != 0) {
                metrics_count_webhook(METRICS_WEBHOOK_INVALID);
                http_error(c, 400, "invalid_event",
                           "the body is not a payment_received event with a paymentHash");
        } else {
                log_info("phoenixd webhook", "request_id", c->request_id, "store", store->id,
                         "payment_hash", hash);
                metrics_count_webhook(METRICS_WEBHOOK_ACCEPTED);
                receiver_notify(store->id, hash);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddBoolToObject(o, "accepted", 1);
                http_reply_json(c, 200, o);
        }
        free(body);
}
