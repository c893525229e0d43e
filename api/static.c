#include "static.h"

#include <event2/http.h>
#include <string.h>

/* The browser may run only the dashboard's own files, talk only to this
 * origin, and never be framed: every value the pages show comes from the
 * API and is inserted as text, and this policy is the second wall. */
#define STATIC_CSP                                                                                 \
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const struct static_file *
static_find(const char *name)
{
        for (size_t i = 0; i < static_files_count; i++)
                if (strcmp(static_files[i].name, name) == 0)
                        return &static_files[i];
        return NULL;
}

static void
static_security_headers(struct http_ctx *c)
{
        http_add_header(c, "Content-Security-Policy", STATIC_CSP);
        http_add_header(c, "X-Frame-Options", "DENY");
        http_add_header(c, "X-Content-Type-Options", "nosniff");
        http_add_header(c, "Referrer-Policy", "no-referrer");
}

/* A client holding this version asked whether it changed: 304, no body. */
static int
static_not_modified(struct http_ctx *c, const struct static_file *f)
{
        const char *inm = http_header(c, "If-None-Match");
        return inm != NULL && strstr(inm, f->etag) != NULL;
}

int
static_serve(struct http_ctx *c)
{
        const char *base = c->cfg->dashboard_path;
        size_t n = base != NULL ? strlen(base) : 0;
        if (n == 0)
                return 0;
        /* "/dashboard" without its slash: relative links need the slash. */
        if (strncmp(c->path, base, n - 1) == 0 && c->path[n - 1] == '\0') {
                static_security_headers(c);
                http_add_header(c, "Location", base);
                http_error(c, 308, "moved", "the dashboard is at %s", base);
                return 1;
        }
        if (strncmp(c->path, base, n) != 0)
                return 0;
        static_security_headers(c);
        if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0) {
                http_add_header(c, "Allow", "GET, HEAD");
                http_error(c, 405, "method_not_allowed",
                           "%s is not allowed on %s (allowed: GET, HEAD)", c->method, c->path);
                return 1;
        }
        const char *name = c->path[n] == '\0' ? "index.html" : c->path + n;
        const struct static_file *f = static_find(name);
        if (f == NULL) {
                http_error(c, 404, "not_found", "no dashboard file %s", c->path);
                return 1;
        }
        http_add_header(c, "ETag", f->etag);
        if (static_not_modified(c, f)) {
                http_reply_bytes(c, 304, NULL, NULL, 0, "no-cache");
                return 1;
        }
        http_reply_bytes(c, 200, f->type, f->data, f->len, "no-cache");
        return 1;
}
