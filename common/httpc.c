#include "httpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

struct httpc_sink {
        char *buf;
        size_t len, cap, max;
        int too_large;
};

int
httpc_global_init(void)
{
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t
httpc_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct httpc_sink *s = userdata;
        size_t n = size * nmemb;
        if (n > s->max - s->len) {
                s->too_large = 1;
                return 0; /* makes curl stop with CURLE_WRITE_ERROR */
        }
        if (s->len + n + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < s->len + n + 1)
                        cap *= 2;
                char *p = realloc(s->buf, cap);
                if (p == NULL)
                        return 0;
                s->buf = p;
                s->cap = cap;
        }
        memcpy(s->buf + s->len, data, n);
        s->len += n;
        s->buf[s->len] = '\0';
        return n;
}

__attribute__((format(printf, 3, 4))) static int
httpc_fail(struct httpc_response *resp, enum httpc_error err, const char *fmt, ...)
{
        va_list ap;
        resp->err = err;
        va_start(ap, fmt);
        vsnprintf(resp->errmsg, sizeof(resp->errmsg), fmt, ap);
        va_end(ap);
        return -1;
}

/* Whether a failed transfer may have delivered the request. The request counts
 * as not sent only when curl failed before a connection to the server existed:
 * the name or proxy did not resolve, the TCP connect failed, the URL or
 * protocol was refused, or a timeout struck while still connecting (no
 * connection made: CURLINFO_NUM_CONNECTS 0 and CURLINFO_CONNECT_TIME 0).
 * Everything after a connection exists -- a timeout after connecting, a
 * reset, an empty reply (CURLE_GOT_NOTHING), a send or receive error, an
 * answer too large to keep -- counts as sent: bytes of the request may have
 * been written, and the server may act on a request whose answer we never
 * read. Being wrong in this direction only leaves a refund `processing`;
 * being wrong in the other one pays twice. */
static int
httpc_may_have_sent(CURL *h, CURLcode rc)
{
        long connects = 0;
        double connect_time = 0;
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_FAILED_INIT:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK ||
                    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect_time) != CURLE_OK)
                        return 1;
                return connects > 0 || connect_time > 0;
        default:
                return 1;
        }
}

static enum httpc_error
httpc_error_of(CURLcode rc)
{
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
                return HTTPC_ERR_CONNECT;
        case CURLE_OPERATION_TIMEDOUT:
                return HTTPC_ERR_TIMEOUT;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_FAILED_INIT:
                return HTTPC_ERR_USAGE;
        default:
                return HTTPC_ERR_TRANSFER;
        }
}

/* "Authorization: Basic base64(user:password)" built here rather than with
 * CURLOPT_USERNAME, so that an empty user name (phoenixd) is sent exactly as
 * ":password". The caller wipes and frees the result. */
static char *
httpc_basic_header(const char *user, const char *password, size_t *size)
{
        static const char prefix[] = "Authorization: Basic ";
        size_t ulen = strlen(user), plen = strlen(password);
        size_t rawlen = ulen + 1 + plen;
        unsigned char *raw = malloc(rawlen);
        if (raw == NULL)
                return NULL;
        memcpy(raw, user, ulen);
        raw[ulen] = ':';
        memcpy(raw + ulen + 1, password, plen);
        size_t b64 = sodium_base64_encoded_len(rawlen, sodium_base64_VARIANT_ORIGINAL);
        *size = sizeof(prefix) + b64;
        char *h = malloc(*size);
        if (h != NULL) {
                memcpy(h, prefix, sizeof(prefix) - 1);
                sodium_bin2base64(h + sizeof(prefix) - 1, b64, raw, rawlen,
                                  sodium_base64_VARIANT_ORIGINAL);
        }
        sodium_memzero(raw, rawlen);
        free(raw);
        return h;
}

static void
httpc_free_secret(char *s, size_t size)
{
        if (s != NULL) {
                sodium_memzero(s, size);
                free(s);
        }
}

int
httpc_perform(const struct httpc_request *req, struct httpc_response *resp)
{
        struct httpc_sink sink = {0};
        struct curl_slist *headers = NULL, *tmp;
        char *auth = NULL, ctype[128];
        size_t auth_size = 0;
        int rv = -1;

        memset(resp, 0, sizeof(*resp));
        resp->sent = 0;
        if (req == NULL || req->url == NULL || req->method == NULL)
                return httpc_fail(resp, HTTPC_ERR_USAGE, "missing url or method");
        int post = strcmp(req->method, "POST") == 0;
        if (!post && strcmp(req->method, "GET") != 0)
                return httpc_fail(resp, HTTPC_ERR_USAGE, "unsupported method");
        sink.max = req->max_response ? req->max_response : HTTPC_MAX_RESPONSE;

        CURL *h = curl_easy_init();
        if (h == NULL)
                return httpc_fail(resp, HTTPC_ERR_USAGE, "curl_easy_init failed");

        /* An empty Expect: keeps curl from waiting for "100 Continue". */
        headers = curl_slist_append(headers, "Expect:");
        if (headers == NULL)
                goto oom;
        if (post && req->content_type != NULL) {
                snprintf(ctype, sizeof(ctype), "Content-Type: %s", req->content_type);
                if ((tmp = curl_slist_append(headers, ctype)) == NULL)
                        goto oom;
                headers = tmp;
        }
        if (req->basic_password != NULL) {
                auth = httpc_basic_header(req->basic_user ? req->basic_user : "",
                                          req->basic_password, &auth_size);
        } else if (req->bearer != NULL) {
                static const char prefix[] = "Authorization: Bearer ";
                auth_size = sizeof(prefix) + strlen(req->bearer);
                if ((auth = malloc(auth_size)) != NULL)
                        snprintf(auth, auth_size, "%s%s", prefix, req->bearer);
        }
        if ((req->basic_password != NULL || req->bearer != NULL) && auth == NULL)
                goto oom;
        if (auth != NULL) {
                if ((tmp = curl_slist_append(headers, auth)) == NULL)
                        goto oom;
                headers = tmp;
        }

        curl_easy_setopt(h, CURLOPT_URL, req->url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        /* No proxy from the environment (http_proxy...): credentials and
         * payout requests go straight to the configured backend. */
        curl_easy_setopt(h, CURLOPT_PROXY, "");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                         req->connect_timeout_secs > 0 ? req->connect_timeout_secs : 10L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout_secs > 0 ? req->timeout_secs : 60L);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink.max);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
        if (post) {
                curl_easy_setopt(h, CURLOPT_POST, 1L);
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                 (curl_off_t)(req->body ? req->body_len : 0));
        }

        CURLcode rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (rc == CURLE_OK) {
                resp->sent = 1;
                resp->err = HTTPC_OK;
                if (sink.buf == NULL && (sink.buf = calloc(1, 1)) == NULL) {
                        httpc_fail(resp, HTTPC_ERR_TRANSFER, "out of memory");
                        goto out;
                }
                resp->body = sink.buf;
                resp->len = sink.len;
                sink.buf = NULL;
                rv = 0;
                goto out;
        }
        resp->sent = httpc_may_have_sent(h, rc);
        if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
                httpc_fail(resp, HTTPC_ERR_TOO_LARGE, "response larger than %zu bytes", sink.max);
        else
                /* curl's messages name the host and the error, never headers. */
                httpc_fail(resp, httpc_error_of(rc), "%s", curl_easy_strerror(rc));
        if (resp->err == HTTPC_ERR_TOO_LARGE)
                resp->sent = 1;
        goto out;
oom:
        httpc_fail(resp, HTTPC_ERR_USAGE, "out of memory");
out:
        free(sink.buf);
        curl_slist_free_all(headers);
        httpc_free_secret(auth, auth_size);
        curl_easy_cleanup(h);
        return rv;
}

void
httpc_response_free(struct httpc_response *resp)
{
        if (resp == NULL)
                return;
        free(resp->body);
        resp->body = NULL;
        resp->len = 0;
}

char *
httpc_form(const char *const *pairs)
{
        size_t cap = 1, len = 0;
        char *out = malloc(cap);
        if (out == NULL)
                return NULL;
        out[0] = '\0';
        for (size_t i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
                char *k = curl_easy_escape(NULL, pairs[i], 0);
                char *v = curl_easy_escape(NULL, pairs[i + 1], 0);
                if (k == NULL || v == NULL) {
                        curl_free(k);
                        curl_free(v);
                        free(out);
                        return NULL;
                }
                size_t need = len + (len ? 1 : 0) + strlen(k) + 1 + strlen(v) + 1;
                if (need > cap) {
                        char *p = realloc(out, need);
                        if (p == NULL) {
                                curl_free(k);
                                curl_free(v);
                                free(out);
                                return NULL;
                        }
                        out = p;
                        cap = need;
                }
                len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? "&" : "", k, v);
                curl_free(k);
                curl_free(v);
        }
        return out;
}

void
httpc_excerpt(const char *src, size_t len, char *buf, size_t bufsz)
{
        size_t n = 0;
        for (size_t i = 0; src != NULL && i < len && n + 1 < bufsz; i++) {
                if (src[i] == '\n' || src[i] == '\r')
                        break;
                buf[n++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
        }
        if (bufsz > 0)
                buf[n] = '\0';
}
