#include "claim_lnurl.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "claim_limit.h"
#include "claim_submit.h"
#include "claim_token.h"
#include "handler.h"

static void
claim_lnurl_error(struct http_ctx *c, const char *reason)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "ERROR");
        cJSON_AddStringToObject(o, "reason", reason);
        http_reply_json(c, 200, o);
}

/* The refund of token, or NULL after answering (an LNURL error when the
 * token names none, or it cannot be claimed). */
static int
claim_lnurl_load(struct http_ctx *c, struct db **db, const char *token,
                 char hash[CLAIM_HASH_LEN + 1], struct claim_view *v)
{
        if ((*db = handler_db(c)) == NULL)
                return -1;
        if (claim_token_hash(token, hash) != 0)
                hash[0] = '\0';
        int found = claim_view_load(c, *db, hash, v);
        if (found < 0)
                return -1;
        if (found == 0) {
                claim_lnurl_error(c, "this claim link is not valid");
                return -1;
        }
        const char *closed = claim_view_closed(v);
        if (closed != NULL) {
                claim_lnurl_error(c, closed);
                return -1;
        }
        return 0;
}

static void
claim_lnurl_get_db(struct http_ctx *c)
{
        const char *token = c->params[0];
        char hash[CLAIM_HASH_LEN + 1];
        struct claim_view v;
        struct db *db = NULL;
        if (claim_lnurl_load(c, &db, token, hash, &v) != 0)
                return;
        struct claim_urls *u = calloc(1, sizeof(*u));
        if (u == NULL || claim_urls_make(c->cfg->public_url, token, u) != 0) {
                free(u);
                claim_lnurl_error(c, "the server has no public URL for the callback");
                return;
        }
        char msat[32], desc[128];
        snprintf(msat, sizeof(msat), "%lld", (long long)v.amount_sats * 1000);
        snprintf(desc, sizeof(desc), "Refund from %s", v.store);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "tag", "withdrawRequest");
        cJSON_AddStringToObject(o, "callback", u->callback);
        cJSON_AddStringToObject(o, "k1", token);
        cJSON_AddStringToObject(o, "defaultDescription", desc);
        /* Raw: a double would round amounts above 2^53 msat. */
        cJSON_AddRawToObject(o, "minWithdrawable", msat);
        cJSON_AddRawToObject(o, "maxWithdrawable", msat);
        free(u);
        http_reply_json(c, 200, o);
}

void
claim_lnurl_get(struct http_ctx *c)
{
        claim_limit_submit(c, claim_lnurl_get_db, NULL);
}

/* The callback's k1 and pr, read from the query on the loop. */
struct claim_lnurl_job {
        char k1[CLAIM_TOKEN_LEN + 1];
        char *pr;
};

static void
claim_lnurl_callback_db(struct http_ctx *c)
{
        struct claim_lnurl_job *j = (struct claim_lnurl_job *)c->pending;
        c->pending = NULL;
        char hash[CLAIM_HASH_LEN + 1], msg[300];
        struct claim_view v;
        struct db *db = NULL;
        int status = 0;
        if (claim_lnurl_load(c, &db, j->k1, hash, &v) == 0) {
                switch (claim_submit(c, db, hash, &v, j->pr, 1, msg, sizeof(msg), &status)) {
                case CLAIM_DONE: {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddStringToObject(o, "status", "OK");
                        http_reply_json(c, 200, o);
                        break;
                }
                case CLAIM_REFUSED:
                        claim_lnurl_error(c, msg);
                        break;
                case CLAIM_FAILED:
                        break;
                }
        }
        free(j);
}

void
claim_lnurl_callback(struct http_ctx *c)
{
        const char *query = http_query(c);
        struct evkeyvalq q = {0};

        const char *k1 = NULL, *pr = NULL;
        if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
                k1 = evhttp_find_header(&q, "k1");
                pr = evhttp_find_header(&q, "pr");
        }
        struct claim_lnurl_job *j = NULL;
        if (k1 == NULL || pr == NULL || strlen(k1) != CLAIM_TOKEN_LEN) {
                claim_lnurl_error(c, k1 && pr ? "this claim link is not valid"
                                              : "k1 and pr are required");
        } else if ((j = calloc(1, sizeof(*j) + strlen(pr) + 1)) == NULL) {
                http_error(c, 500, "internal", "out of memory");
        } else {
                memcpy(j->k1, k1, CLAIM_TOKEN_LEN + 1);
                j->pr = (char *)(j + 1); /* the same block: one free */
                memcpy(j->pr, pr, strlen(pr) + 1);
        }
        evhttp_clear_headers(&q);
        if (j != NULL)
                claim_limit_submit(c, claim_lnurl_callback_db, j);
}
