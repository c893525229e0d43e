#include "btcrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
btcrpc_request(const char *method, const char *params_json, const char *id)
{
        char *s = NULL;
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || method == NULL || id == NULL)
                goto out;
        if (cJSON_AddStringToObject(o, "id", id) == NULL ||
            cJSON_AddStringToObject(o, "method", method) == NULL ||
            cJSON_AddRawToObject(o, "params", params_json ? params_json : "[]") == NULL)
                goto out;
        s = cJSON_PrintUnformatted(o);
out:
        cJSON_Delete(o);
        return s;
}

int
btcrpc_auth_split(const char *rpc_auth, char *user, size_t usersz, const char **password)
{
        const char *colon = rpc_auth ? strchr(rpc_auth, ':') : NULL;
        if (colon == NULL || (size_t)(colon - rpc_auth) >= usersz)
                return -1;
        memcpy(user, rpc_auth, (size_t)(colon - rpc_auth));
        user[colon - rpc_auth] = '\0';
        *password = colon + 1;
        return 0;
}

int
btcrpc_url(const char *base, const char *wallet, char *buf, size_t bufsz)
{
        static const char hex[] = "0123456789ABCDEF";
        int n = snprintf(buf, bufsz, "%s%s", base, wallet ? "/wallet/" : "");
        if (n < 0 || (size_t)n >= bufsz)
                return -1;
        size_t o = (size_t)n;
        for (const unsigned char *p = (const unsigned char *)wallet; p && *p; p++) {
                int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
                            *p == '~';
                if (o + (plain ? 1 : 3) >= bufsz)
                        return -1;
                if (plain) {
                        buf[o++] = (char)*p;
                } else {
                        buf[o++] = '%';
                        buf[o++] = hex[*p >> 4];
                        buf[o++] = hex[*p & 15];
                }
        }
        buf[o] = '\0';
        return 0;
}

static int
btcrpc_fail(struct btcrpc_reply *out, const char *fmt, const char *a, long n)
{
        snprintf(out->error, sizeof(out->error), fmt, a, n);
        return -1;
}

static int
btcrpc_unsent(struct httpc_response *resp, const char *why)
{
        resp->err = HTTPC_ERR_USAGE;
        resp->sent = 0;
        snprintf(resp->errmsg, sizeof(resp->errmsg), "%s", why);
        return -1;
}

int
btcrpc_post(const struct btcrpc *b, const char *method, const char *params_json, const char *id,
            struct httpc_response *resp)
{
        memset(resp, 0, sizeof(*resp));
        char user[256], url[1024];
        const char *password = NULL;
        if (btcrpc_auth_split(b->rpc_auth, user, sizeof(user), &password) != 0)
                return btcrpc_unsent(resp, "rpc_auth is not user:password");
        if (btcrpc_url(b->url, b->wallet, url, sizeof(url)) != 0)
                return btcrpc_unsent(resp, "the node URL is too long");
        char *body = btcrpc_request(method, params_json, id);
        if (body == NULL)
                return btcrpc_unsent(resp, "cannot build the request");
        struct httpc_request req = {.method = "POST",
                                    .url = url,
                                    .content_type = "application/json",
                                    .body = body,
                                    .body_len = strlen(body),
                                    .basic_user = user,
                                    .basic_password = password,
                                    .connect_timeout_secs =
                                        b->connect_timeout_secs > 0 ? b->connect_timeout_secs : 5,
                                    .timeout_secs = b->timeout_secs > 0 ? b->timeout_secs : 30,
                                    .max_response = b->max_response};
        int rc = httpc_perform(&req, resp);
        free(body);
        return rc;
}

int
btcrpc_call(const struct btcrpc *b, const char *method, const char *params_json,
            struct btcrpc_reply *out)
{
        memset(out, 0, sizeof(*out));
        if (btcrpc_post(b, method, params_json, "qpayd", &out->http) != 0) {
                snprintf(out->error, sizeof(out->error), "%s: %s", method, out->http.errmsg);
                return -1;
        }
        return btcrpc_read_reply(method, out);
}

int
btcrpc_read_reply(const char *method, struct btcrpc_reply *out)
{
        long st = out->http.status;
        if (st == 401)
                return btcrpc_fail(out, "%s: HTTP 401: bitcoind refused the rpc_auth login", method,
                                   0);
        if (st == 403)
                return btcrpc_fail(out,
                                   "%s: HTTP 403: the rpcwhitelist of this user does not "
                                   "allow the method",
                                   method, 0);
        out->root = out->http.body ? cJSON_ParseWithLength(out->http.body, out->http.len) : NULL;
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(out->root, "error");
        if (cJSON_IsObject(err)) {
                const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
                const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
                /* RPC codes are small: anything else (1e300, which long
                 * cannot hold) is no code. */
                out->code =
                    cJSON_IsNumber(code) && code->valuedouble >= -1e9 && code->valuedouble <= 1e9
                        ? (long)code->valuedouble
                        : 0;
                snprintf(out->error, sizeof(out->error), "%s: error %ld: %.200s", method, out->code,
                         cJSON_IsString(msg) ? msg->valuestring : "(no message)");
                return -1;
        }
        if (st != 200 || out->root == NULL || !cJSON_IsObject(out->root))
                return btcrpc_fail(out, "%s: HTTP %ld without a JSON-RPC answer", method, st);
        out->result = cJSON_GetObjectItemCaseSensitive(out->root, "result");
        if (out->result == NULL)
                return btcrpc_fail(out, "%s: the answer has no result", method, 0);
        return 0;
}

/* True when no object in the tree repeats a member name. */
static int
btcrpc_no_repeats(const cJSON *it, int depth)
{
        if (depth > 32)
                return 0;
        for (const cJSON *c = it->child; c != NULL; c = c->next) {
                for (const cJSON *d = it->child; d != c && cJSON_IsObject(it); d = d->next)
                        if (strcmp(d->string, c->string) == 0)
                                return 0;
                if (!btcrpc_no_repeats(c, depth + 1))
                        return 0;
        }
        return 1;
}

cJSON *
btcrpc_parse_exact(const char *text, size_t len)
{
        const char *end = NULL;
        cJSON *root = text != NULL ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
        /* text[len] is NUL: strspn stops there at the latest. */
        if (root != NULL &&
            (end + strspn(end, " \t\r\n") != text + len || !btcrpc_no_repeats(root, 0))) {
                cJSON_Delete(root);
                root = NULL;
        }
        return root;
}

void
btcrpc_reply_free(struct btcrpc_reply *r)
{
        cJSON_Delete(r->root);
        httpc_response_free(&r->http);
        memset(r, 0, sizeof(*r));
}
