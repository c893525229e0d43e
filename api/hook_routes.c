#include "hook_routes.h"

#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "handler.h"
#include "idempotency.h"
#include "rows.h"
#include "statements.h"

#define HOOK_LIST_DEFAULT 20
#define HOOK_LIST_MAX     100

/* A delivery id: 1 to 18 digits. */
static int
hook_routes_id_valid(const char *s)
{
        size_t n = strlen(s);
        return n >= 1 && n <= 18 && strspn(s, "0123456789") == n;
}

static int
hook_routes_status_valid(const char *s)
{
        static const char *const statuses[] = {"pending", "delivered", "failed", "skipped"};
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
                if (strcmp(s, statuses[i]) == 0)
                        return 1;
        return 0;
}

void
hook_routes_list(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_ADMIN) == AUTH_ROLE_NONE)
                return;
        struct db *db = handler_db(c);
        if (db == NULL)
                return;
        struct evkeyvalq q;
        TAILQ_INIT(&q);
        const char *query = http_query(c);
        if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
                http_error(c, 400, "invalid_query", "the query string cannot be parsed");
                return;
        }
        const char *status = NULL, *cursor = NULL, *object = NULL;
        long limit = HOOK_LIST_DEFAULT;
        for (struct evkeyval *kv = q.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
                char *end = NULL;
                if (strcmp(kv->key, "status") == 0 && hook_routes_status_valid(kv->value)) {
                        status = kv->value;
                } else if (strcmp(kv->key, "starting_after") == 0 &&
                           hook_routes_id_valid(kv->value)) {
                        cursor = kv->value;
                } else if (strcmp(kv->key, "object_id") == 0 && kv->value[0] != '\0' &&
                           strlen(kv->value) <= 64) {
                        object = kv->value;
                } else if (strcmp(kv->key, "limit") == 0 &&
                           (limit = strtol(kv->value, &end, 10)) >= 1 && limit <= HOOK_LIST_MAX &&
                           end != kv->value && *end == '\0') {
                        continue;
                } else {
                        http_error(c, 400, "invalid_query",
                                   "query parameter %.32s=%.64s is not valid (status, limit 1 to "
                                   "%d, starting_after, object_id)",
                                   kv->key, kv->value, HOOK_LIST_MAX);
                        goto out;
                }
        }
        char lim[16];
        snprintf(lim, sizeof(lim), "%ld", limit + 1);
        const char *p[] = {store->id, status, cursor, lim, object};
        PGresult *r = handler_exec(c, db, STMT_HOOK_LIST, 5, p);
        if (r == NULL)
                goto out;
        int n = PQntuples(r);
        int more = n > limit;
        char *text = rows_json_list(r, more ? (int)limit : n, more);
        PQclear(r);
        if (text == NULL) {
                http_error(c, 500, "internal", "out of memory");
                goto out;
        }
        http_reply_text(c, 200, text);
        free(text);
out:
        evhttp_clear_headers(&q);
}

void
hook_routes_redeliver(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL)
                return;
        enum auth_role role = auth_require(c, store, AUTH_APPROVE);
        if (role == AUTH_ROLE_NONE)
                return;
        const char *id = c->params[1];
        if (!hook_routes_id_valid(id)) {
                http_error(c, 404, "delivery_not_found", "no webhook delivery %.32s in store %s",
                           id, store->id);
                return;
        }
        /* Idempotency-Key as on every POST: a retried redeliver replays the
         * first answer instead of sending the event once more. */
        struct idem idem;
        if (idempotency_from_request(c, store->id, role, &idem) != 0)
                return;
        struct db *db = handler_db(c);
        if (db == NULL || idempotency_begin(c, db, &idem) != 0)
                return;
        const char *p[] = {store->id, id};
        PGresult *r = handler_exec(c, db, STMT_HOOK_REDELIVER, 2, p);
        if (r == NULL)
                return;
        if (!PQgetisnull(r, 0, 0)) {
                if (idempotency_store(c, db, &idem, 202, PQgetvalue(r, 0, 0), id) == 0 &&
                    handler_commit(c, db) == 0)
                        http_reply_text(c, 202, PQgetvalue(r, 0, 0));
        } else if (PQgetvalue(r, 0, 1)[0] == 't') {
                handler_fail(c, db, 409, "delivery_in_progress",
                             "webhook delivery %s is being sent right now; try again in a few "
                             "seconds",
                             id);
        } else {
                handler_fail(c, db, 404, "delivery_not_found", "no webhook delivery %s in store %s",
                             id, store->id);
        }
        PQclear(r);
}

int
hook_routes_url_check(const struct config_store *store, const char *url, char *msg, size_t size)
{
        int priv = store->webhooks.allow_private_targets;
        size_t n = strlen(url);
        size_t scheme = strncmp(url, "https://", 8) == 0          ? 8
                        : priv && strncmp(url, "http://", 7) == 0 ? 7
                                                                  : 0;
        if (scheme == 0) {
                snprintf(msg, size, "notification_url must start with https://%s",
                         priv ? " or http://" : "");
                return -1;
        }
        if (n > 2048 || url[scheme] == '\0' || url[scheme] == '/' ||
            strpbrk(url, " \t\r\n\"<>\\^`{|}") != NULL) {
                snprintf(msg, size,
                         "notification_url is not a valid URL (at most 2048 characters)");
                return -1;
        }
        if (!store->webhooks.present || store->webhooks.secret == NULL) {
                snprintf(msg, size,
                         "store %s has no [stores.webhooks] secret_env to sign notifications with",
                         store->id);
                return -1;
        }
        return 0;
}
