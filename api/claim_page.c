#include "claim_page.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_limit.h"
#include "claim_submit.h"
#include "claim_token.h"
#include "handler.h"
#include "html.h"
#include "qr_svg.h"

/* No script, no frames, no third party; the form posts to this origin. */
#define CLAIM_PAGE_CSP                                                                             \
        "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; "              \
        "frame-ancestors 'none'"

static const char claim_page_style[] =
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;"
    "color:#111;background:#fafafa}h1{font-size:1.4rem}.amount{font-size:1.6rem;font-weight:600}"
    ".qr{width:16rem;height:16rem;display:block;margin:1rem 0}.code{word-break:break-all;"
    "font-family:monospace;font-size:.75rem;color:#444}label{display:block;margin:1rem 0 .3rem}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}"
    ".error{color:#b00020;margin:.3rem 0}.status{font-size:1.3rem;font-weight:600;color:#0a6b2d}"
    "button{margin-top:.8rem;padding:.5rem 1.2rem;font-size:1rem}";

void
claim_page_css(struct http_ctx *c)
{
        http_add_header(c, "Content-Type", "text/css; charset=utf-8");
        http_add_header(c, "X-Content-Type-Options", "nosniff");
        http_reply_raw(c, 200, claim_page_style);
}

/* What a page shows besides the refund. */
struct claim_page_state {
        const char *error; /* beside the field */
        const char *value; /* the field's value, as the customer typed it */
        const char *done;  /* "claimed": the form is gone */
        const char *closed;
};

static void
claim_page_send(struct http_ctx *c, int status, struct evbuffer *b)
{
        http_add_header(c, "Content-Type", "text/html; charset=utf-8");
        http_add_header(c, "Content-Security-Policy", CLAIM_PAGE_CSP);
        http_add_header(c, "X-Frame-Options", "DENY");
        /* The token is in the path: no page it links to may learn it. */
        http_add_header(c, "Referrer-Policy", "no-referrer");
        http_add_header(c, "X-Content-Type-Options", "nosniff");
        http_reply_buffer(c, status, b);
}

/* sats as BTC, 8 decimals, without floating point. */
static void
claim_page_btc(char *out, size_t n, int64_t sats)
{
        snprintf(out, n, "%lld.%08lld", (long long)(sats / 100000000),
                 (long long)(sats % 100000000));
}

static void
claim_page_head(struct evbuffer *b, const char *title)
{
        evbuffer_add_printf(
            b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<meta name=\"robots\" content=\"noindex\">"
               "<link rel=\"stylesheet\" href=\"/claim.css\"><title>");
        html_escape(b, title);
        evbuffer_add_printf(b, "</title></head><body><main>");
}

/* A page about no refund: a token that is not one, or none we know. */
static void
claim_page_unknown(struct http_ctx *c)
{
        struct evbuffer *b = evbuffer_new();
        if (b == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        claim_page_head(b, "Refund claim");
        evbuffer_add_printf(b, "<h1>Refund claim</h1><p id=\"closed\">This claim link is not "
                               "valid. Check that it was copied whole.</p></main></body></html>");
        claim_page_send(c, 404, b);
        evbuffer_free(b);
}

/* The LNURL-withdraw section: the QR, a wallet link, the text. */
static void
claim_page_lnurl(struct evbuffer *b, const struct claim_urls *u)
{
        char *svg = qr_svg_new(u->lnurl);
        evbuffer_add_printf(b, "<section><h2>Scan with a Lightning wallet</h2>");
        if (svg != NULL)
                evbuffer_add(b, svg, strlen(svg));
        free(svg);
        evbuffer_add_printf(b, "<p><a id=\"wallet\" href=\"lightning:");
        html_escape(b, u->lnurl);
        evbuffer_add_printf(b, "\">Open in a wallet on this device</a></p><p class=\"code\" "
                               "id=\"lnurl\">");
        html_escape(b, u->lnurl);
        evbuffer_add_printf(b, "</p></section>");
}

static void
claim_page_form(struct evbuffer *b, const struct claim_view *v, const struct claim_page_state *s)
{
        evbuffer_add_printf(b,
                            "<form method=\"post\" novalidate><label for=\"destination\">Or "
                            "paste a bitcoin address, a Lightning address, a BOLT12 offer, or a "
                            "BOLT11 invoice of exactly %lld sats</label>"
                            "<input id=\"destination\" name=\"destination\" autocomplete=\"off\" "
                            "spellcheck=\"false\" required aria-describedby=\"destination-error\""
                            " value=\"",
                            (long long)v->amount_sats);
        html_escape(b, s->value ? s->value : "");
        evbuffer_add_printf(b, "\"><p class=\"error\" id=\"destination-error\" role=\"alert\">");
        html_escape(b, s->error ? s->error : "");
        evbuffer_add_printf(b, "</p><button type=\"submit\">Claim the refund</button></form>");
}

/* The refund's page: what it is, then the form, or why it is closed. */
static void
claim_page_render(struct http_ctx *c, int status, const struct claim_view *v, const char *token,
                  const struct claim_page_state *s)
{
        struct evbuffer *b = evbuffer_new();
        struct claim_urls *u = calloc(1, sizeof(*u));
        if (b == NULL || u == NULL || claim_urls_make(c->cfg->public_url, token, u) != 0) {
                if (b != NULL)
                        evbuffer_free(b);
                free(u);
                http_error(c, 500, "internal", "the claim page could not be made");
                return;
        }
        char title[128], btc[32];
        snprintf(title, sizeof(title), "Refund from %s", v->store);
        claim_page_btc(btc, sizeof(btc), v->amount_sats);
        claim_page_head(b, title);
        evbuffer_add_printf(b, "<h1 id=\"shop\">");
        html_escape(b, title);
        evbuffer_add_printf(b,
                            "</h1><p class=\"amount\" id=\"amount\">%lld sats "
                            "<small>(%s BTC)</small></p>",
                            (long long)v->amount_sats, btc);
        if (v->reason[0]) {
                evbuffer_add_printf(b, "<p id=\"reason\">");
                html_escape(b, v->reason);
                evbuffer_add_printf(b, "</p>");
        }
        if (s->done != NULL) {
                evbuffer_add_printf(b, "<p class=\"status\" id=\"status\">");
                html_escape(b, s->done);
                evbuffer_add_printf(b, "</p><p>The shop's wallet pays it shortly.</p>");
        } else if (s->closed != NULL) {
                evbuffer_add_printf(b, "<p class=\"error\" id=\"closed\">");
                html_escape(b, s->closed);
                evbuffer_add_printf(b, "</p>");
        } else {
                evbuffer_add_printf(b, "<p id=\"expiry\">Claim it before ");
                html_escape(b, v->expires_at);
                evbuffer_add_printf(b, " UTC.</p>");
                claim_page_lnurl(b, u);
                claim_page_form(b, v, s);
        }
        evbuffer_add_printf(b, "</main></body></html>");
        claim_page_send(c, status, b);
        evbuffer_free(b);
        free(u);
}

static void
claim_page_get_db(struct http_ctx *c)
{
        const char *token = c->params[0];
        char hash[CLAIM_HASH_LEN + 1] = "";
        struct db *db = handler_db(c);
        if (db == NULL)
                return;
        if (claim_token_hash(token, hash) != 0)
                hash[0] = '\0';
        struct claim_view v;
        int found = claim_view_load(c, db, hash, &v);
        if (found < 0)
                return;
        if (found == 0) {
                claim_page_unknown(c);
                return;
        }
        struct claim_page_state s = {.closed = claim_view_closed(&v)};
        if (v.claimed) {
                s.closed = NULL;
                s.done = "claimed";
        }
        claim_page_render(c, 200, &v, token, &s);
}

void
claim_page_get(struct http_ctx *c)
{
        claim_limit_submit(c, claim_page_get_db, NULL);
}

static void
claim_page_post_db(struct http_ctx *c)
{
        char *dest = (char *)c->pending; /* the form's, read on the loop */
        c->pending = NULL;
        const char *token = c->params[0];
        char hash[CLAIM_HASH_LEN + 1] = "";
        struct db *db = handler_db(c);
        struct claim_view v;
        int found = 0;
        if (db != NULL) {
                if (claim_token_hash(token, hash) != 0)
                        hash[0] = '\0';
                found = claim_view_load(c, db, hash, &v);
        }
        if (found == 0)
                claim_page_unknown(c);
        if (found <= 0) {
                free(dest);
                return;
        }
        char msg[300];
        int status = 0;
        struct claim_page_state s = {.value = dest};
        switch (claim_submit(c, db, hash, &v, dest, 0, msg, sizeof(msg), &status)) {
        case CLAIM_DONE:
                s.done = "claimed";
                claim_page_render(c, 200, &v, token, &s);
                break;
        case CLAIM_REFUSED:
                /* Invalid: the form again, the message beside the field, 200
                 * (a browser shows a 4xx page as a console error); claimed
                 * or gone: the message instead of the form, 409 or 410. */
                if (status == 400) {
                        s.error = msg;
                        status = 200;
                } else {
                        s.closed = msg;
                }
                claim_page_render(c, status, &v, token, &s);
                break;
        case CLAIM_FAILED:
                break;
        }
        free(dest);
}

void
claim_page_post(struct http_ctx *c)
{
        size_t len = 0;
        char *body = http_body(c, &len);
        if (body == NULL)
                return; /* answered */
        struct evkeyvalq q = {0};

        const char *d = NULL;
        if (evhttp_parse_query_str(body, &q) == 0)
                d = evhttp_find_header(&q, "destination");
        char *dest = strdup(d ? d : "");
        evhttp_clear_headers(&q);
        free(body);
        if (dest == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        claim_limit_submit(c, claim_page_post_db, dest);
}
