#include "hook_post.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "hook_addr.h"

struct hook_post_sink {
        char *buf;
        size_t len, cap;
};

/* Keeps the first bytes of the answer for the delivery log; reads the rest
 * (bounded by the timeout) so the server sees a clean end. */
static size_t
hook_post_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct hook_post_sink *s = userdata;
        size_t n = size * nmemb;
        for (size_t i = 0; i < n && s->len + 1 < s->cap; i++) {
                unsigned char ch = (unsigned char)data[i];
                s->buf[s->len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
        }
        s->buf[s->len] = '\0';
        return n;
}

/* Ends a transfer when qpayd is stopping: a hanging shop must not hold
 * up the shutdown for the whole timeout. */
static int
hook_post_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        atomic_int *cancel = clientp;
        return cancel != NULL && atomic_load(cancel) ? 1 : 0;
}

/* What the connect check knows and found. */
struct hook_post_guard {
        int allow_private;
        int refused; /* set: curl was about to connect to a private address */
};

/* Checks again, at the socket curl opens, the address it connects to:
 * should the pin not apply (a host spelt otherwise than curl matches it),
 * a private address is still never reached. */
static curl_socket_t
hook_post_opensocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
        struct hook_post_guard *g = clientp;
        if (purpose != CURLSOCKTYPE_IPCXN)
                return CURL_SOCKET_BAD;
        if (!g->allow_private && hook_addr_private(&address->addr)) {
                g->refused = 1;
                return CURL_SOCKET_BAD;
        }
        return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/* Resolves host and picks the first address the rule allows, into
 * out->address. 0, or -1 with out->error (and refused) set. */
static int
hook_post_resolve(const char *host, int allow_private, struct hook_post_result *out)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        int rc = getaddrinfo(host, NULL, &hints, &res);
        if (rc != 0) {
                snprintf(out->error, sizeof(out->error), "cannot resolve the host: %s",
                         gai_strerror(rc));
                return -1;
        }
        char first[64] = "";
        int found = 0;
        for (struct addrinfo *a = res; a != NULL && !found; a = a->ai_next) {
                char text[64];
                hook_addr_text(a->ai_addr, text, sizeof(text));
                if (text[0] == '\0')
                        continue;
                if (first[0] == '\0')
                        snprintf(first, sizeof(first), "%s", text);
                if (allow_private || !hook_addr_private(a->ai_addr)) {
                        snprintf(out->address, sizeof(out->address), "%s", text);
                        found = 1;
                }
        }
        freeaddrinfo(res);
        if (!found) {
                snprintf(out->address, sizeof(out->address), "%s", first);
                snprintf(out->error, sizeof(out->error),
                         "refused: the host resolves to a private, loopback or link-local "
                         "address (%s); allow_private_targets is false",
                         first);
                out->refused = 1;
                return -1;
        }
        return 0;
}

/* Scheme, host (without IPv6 brackets) and port of url. 0, or -1 refused. */
static int
hook_post_parse(const struct hook_post_req *rq, char *host, size_t hsize, long *port,
                struct hook_post_result *out)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *h = NULL, *p = NULL;
        int rc = -1;
        if (u == NULL || curl_url_set(u, CURLUPART_URL, rq->url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK) {
                snprintf(out->error, sizeof(out->error), "refused: the url does not parse");
        } else if (strcmp(scheme, "https") != 0 &&
                   !(strcmp(scheme, "http") == 0 && rq->allow_private)) {
                snprintf(out->error, sizeof(out->error),
                         "refused: %s:// (only https://, or http:// with "
                         "allow_private_targets)",
                         scheme);
        } else {
                size_t n = strlen(h);
                if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
                        snprintf(host, hsize, "%.*s", (int)(n - 2), h + 1);
                else
                        snprintf(host, hsize, "%s", h);
                *port = strtol(p, NULL, 10);
                rc = 0;
        }
        if (rc != 0)
                out->refused = 1;
        curl_free(scheme);
        curl_free(h);
        curl_free(p);
        curl_url_cleanup(u);
        return rc;
}

static long
hook_post_ms_since(const struct timespec *t0)
{
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int
hook_post(const struct hook_post_req *rq, struct hook_post_result *out)
{
        memset(out, 0, sizeof(*out));
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char host[256], pin[400], sig[160];
        long port = 0;
        if (hook_post_parse(rq, host, sizeof(host), &port, out) != 0 ||
            hook_post_resolve(host, rq->allow_private, out) != 0) {
                out->duration_ms = hook_post_ms_since(&t0);
                return -1;
        }
        /* The checked address, for this host and port only. */
        int v6 = strchr(out->address, ':') != NULL;
        snprintf(pin, sizeof(pin), "%s:%ld:%s%s%s", host, port, v6 ? "[" : "", out->address,
                 v6 ? "]" : "");
        snprintf(sig, sizeof(sig), "Qpayd-Signature: %s", rq->signature);
        struct curl_slist *resolve = curl_slist_append(NULL, pin);
        struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        hdrs = hdrs ? curl_slist_append(hdrs, sig) : NULL;
        hdrs = hdrs ? curl_slist_append(hdrs, "User-Agent: qpayd/" QPAYD_VERSION) : NULL;
        hdrs = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
        CURL *h = curl_easy_init();
        int rc = -1;
        if (resolve == NULL || hdrs == NULL || h == NULL) {
                snprintf(out->error, sizeof(out->error), "out of memory");
                goto done;
        }
        struct hook_post_sink sink = {.buf = out->response, .cap = sizeof(out->response)};
        curl_easy_setopt(h, CURLOPT_URL, rq->url);
        curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
        curl_easy_setopt(h, CURLOPT_PROXY, "");
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, rq->timeout_secs);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, rq->timeout_secs);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, hook_post_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, hook_post_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, rq->cancel);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        struct hook_post_guard guard = {.allow_private = rq->allow_private};
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, hook_post_opensocket);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
        CURLcode cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        if (cc == CURLE_OK) {
                rc = 0;
        } else if (guard.refused) {
                out->status = 0;
                out->refused = 1;
                snprintf(out->error, sizeof(out->error),
                         "refused: the connection went to a private, loopback or link-local "
                         "address; allow_private_targets is false");
        } else {
                out->status = 0;
                snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(cc));
        }
done:
        out->duration_ms = hook_post_ms_since(&t0);
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
        curl_slist_free_all(resolve);
        return rc;
}
