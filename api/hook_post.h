/* One webhook POST (libcurl), with the SSRF rule applied at send time: the
 * host is resolved here, an address that is not public is refused unless
 * private targets are allowed, and the connection is pinned to the address
 * checked (CURLOPT_RESOLVE), so DNS cannot change between check and connect.
 * No proxy, no redirect, http and https only. */
#ifndef QPAYD_API_HOOK_POST_H
#define QPAYD_API_HOOK_POST_H

#include <stdatomic.h>
#include <stddef.h>

struct hook_post_req {
        const char *url;
        int allow_private; /* http:// and private addresses allowed */
        const char *body;
        size_t len;
        const char *signature; /* Qpayd-Signature value */
        long timeout_secs;     /* connect and total */
        atomic_int *cancel;    /* nonzero ends the transfer at once (shutdown); may be NULL */
};

struct hook_post_result {
        long status;        /* the HTTP status, 0 when no answer arrived */
        int refused;        /* not sent: the SSRF rule or the URL refused it */
        char address[64];   /* the address connected to (or refused) */
        char response[201]; /* the answer's first bytes, printable ASCII */
        char error[256];    /* why no answer (never a secret) */
        long duration_ms;
};

/* Posts rq and fills out (always initialised). 0 when an HTTP answer
 * arrived (any status), -1 otherwise with out->error set. */
int hook_post(const struct hook_post_req *rq, struct hook_post_result *out);

#endif
