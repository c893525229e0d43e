/* A small blocking HTTP client (libcurl) for the payout backends. Besides
 * status and body it answers the one question that decides whether money may
 * have left: could the request have reached the server (`sent`)? */
#ifndef QPAYD_HTTPC_H
#define QPAYD_HTTPC_H

#include <stddef.h>

/* Answers larger than this are refused (HTTPC_ERR_TOO_LARGE). */
#define HTTPC_MAX_RESPONSE (1024 * 1024)

enum httpc_error {
        HTTPC_OK = 0,        /* an HTTP answer arrived (any status) */
        HTTPC_ERR_CONNECT,   /* no connection: resolve or connect failed */
        HTTPC_ERR_TIMEOUT,   /* connect or total timeout */
        HTTPC_ERR_TRANSFER,  /* reset, empty reply, send or receive error */
        HTTPC_ERR_TOO_LARGE, /* answer larger than the limit */
        HTTPC_ERR_USAGE      /* bad arguments or out of memory before sending */
};

struct httpc_response {
        long status; /* 0 when no HTTP answer arrived */
        char *body;  /* NUL terminated (body[len] == '\0'), or NULL */
        size_t len;
        /* 0 only when the request certainly did not reach the server; see
         * httpc_perform for the rule. */
        int sent;
        enum httpc_error err;
        char errmsg[256]; /* never holds a credential */
};

struct httpc_request {
        const char *method; /* "GET" or "POST" */
        const char *url;
        const char *content_type; /* POST only, e.g. "application/json" */
        const char *body;         /* POST only; may be NULL for an empty body */
        size_t body_len;
        /* Basic auth when basic_password is set; basic_user may be "" (phoenixd). */
        const char *basic_user;
        const char *basic_password;
        const char *bearer;        /* Authorization: Bearer, when set */
        long connect_timeout_secs; /* 0: 10 seconds */
        long timeout_secs;         /* total, 0: 60 seconds */
        size_t max_response;       /* 0: HTTPC_MAX_RESPONSE */
};

/* curl_global_init, once, before any thread starts. Returns 0 or -1. */
int httpc_global_init(void);

/* Performs req and fills resp (always initialised; free it with
 * httpc_response_free). Returns 0 when an HTTP answer arrived (whatever its
 * status), -1 otherwise with resp->err, resp->errmsg and resp->sent set.
 * Redirects are not followed; only http and https are allowed. */
int httpc_perform(const struct httpc_request *req, struct httpc_response *resp);

void httpc_response_free(struct httpc_response *resp);

/* application/x-www-form-urlencoded body from key, value, ..., NULL pairs
 * (a NULL value ends the list too, so list optional pairs last or build the
 * array conditionally). Returns a malloc'd string, or NULL on allocation
 * failure. */
char *httpc_form(const char *const *pairs);

/* The first line of src (len bytes; NULL reads as empty) into buf, each byte
 * outside printable ASCII shown as '?', cut to fit bufsz: an answer's text
 * for a reason or a message. */
void httpc_excerpt(const char *src, size_t len, char *buf, size_t bufsz);

#endif
