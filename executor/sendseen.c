#include "sendseen.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"

struct sendseen {
        struct sendseen *next;
        char *key;  /* url and wallet */
        char **ids; /* comments of send entries */
        size_t n, cap;
        char newest[128]; /* txid:vout:category of the newest entry listed */
        int have;         /* a full look was made */
};

static struct sendseen *sendseen_list;

static void
sendseen_entry_key(const cJSON *tx, char *out, size_t len)
{
        const cJSON *txid = cJSON_GetObjectItemCaseSensitive(tx, "txid");
        const cJSON *vout = cJSON_GetObjectItemCaseSensitive(tx, "vout");
        const cJSON *cat = cJSON_GetObjectItemCaseSensitive(tx, "category");
        snprintf(out, len, "%.64s:%d:%.16s", cJSON_IsString(txid) ? txid->valuestring : "",
                 cJSON_IsNumber(vout) ? vout->valueint : -1,
                 cJSON_IsString(cat) ? cat->valuestring : "");
}

static void
sendseen_clear(struct sendseen *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->ids[i]);
        s->n = 0;
        s->newest[0] = '\0';
        s->have = 0;
}

/* Adds the send comments of arr[from..]; -1 on allocation failure. */
static int
sendseen_add(struct sendseen *s, const cJSON *arr, int from)
{
        int size = cJSON_GetArraySize(arr);
        for (int i = from; i < size; i++) {
                const cJSON *tx = cJSON_GetArrayItem(arr, i);
                const cJSON *cat = cJSON_GetObjectItemCaseSensitive(tx, "category");
                const cJSON *com = cJSON_GetObjectItemCaseSensitive(tx, "comment");
                if (!cJSON_IsString(cat) || strcmp(cat->valuestring, "send") != 0 ||
                    !cJSON_IsString(com))
                        continue;
                if (s->n == s->cap) {
                        size_t cap = s->cap ? s->cap * 2 : 256;
                        char **ids = realloc(s->ids, cap * sizeof(*ids));
                        if (ids == NULL)
                                return -1;
                        s->ids = ids;
                        s->cap = cap;
                }
                if ((s->ids[s->n] = strdup(com->valuestring)) == NULL)
                        return -1;
                s->n++;
        }
        if (size > 0)
                sendseen_entry_key(cJSON_GetArrayItem(arr, size - 1), s->newest, sizeof(s->newest));
        return 0;
}

/* listtransactions "*" count 0, parsed: the result array's owner, or NULL. */
static cJSON *
sendseen_list_tx(const struct btcrpc *node, int count, char *err, size_t errlen)
{
        char params[64];
        snprintf(params, sizeof(params), "[\"*\", %d, 0]", count);
        struct httpc_response resp;
        btcrpc_post(node, "listtransactions", params, "sendseen", &resp);
        cJSON *root =
            resp.status == 200 && resp.body ? cJSON_ParseWithLength(resp.body, resp.len) : NULL;
        if (root == NULL || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "result"))) {
                snprintf(err, errlen, "bitcoind listtransactions: %s",
                         resp.errmsg[0] ? resp.errmsg : "unreadable answer");
                cJSON_Delete(root);
                root = NULL;
        }
        httpc_response_free(&resp);
        return root;
}

static struct sendseen *
sendseen_find(const struct btcrpc *node)
{
        char key[2048];
        snprintf(key, sizeof(key), "%s %s", node->url, node->wallet ? node->wallet : "");
        for (struct sendseen *s = sendseen_list; s != NULL; s = s->next)
                if (strcmp(s->key, key) == 0)
                        return s;
        struct sendseen *s = calloc(1, sizeof(*s));
        if (s == NULL || (s->key = strdup(key)) == NULL) {
                free(s);
                return NULL;
        }
        s->next = sendseen_list;
        sendseen_list = s;
        return s;
}

struct sendseen *
sendseen_refresh(const struct btcrpc *node, char *err, size_t errlen)
{
        struct sendseen *s = sendseen_find(node);
        if (s == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        /* A short page first, a longer one when other senders added more. */
        for (int count = SENDSEEN_PAGE; s->have && count < SENDSEEN_WINDOW; count *= 4) {
                cJSON *page = sendseen_list_tx(node, count, err, errlen);
                if (page == NULL)
                        return NULL;
                const cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "result");
                int size = cJSON_GetArraySize(arr), at = -1;
                char k[128];
                for (int i = size - 1; i >= 0 && at < 0; i--) {
                        sendseen_entry_key(cJSON_GetArrayItem(arr, i), k, sizeof(k));
                        if (strcmp(k, s->newest) == 0)
                                at = i;
                }
                int rc = 1;
                if (size < count) { /* the whole history */
                        sendseen_clear(s);
                        rc = sendseen_add(s, arr, 0);
                } else if (at >= 0) {
                        rc = sendseen_add(s, arr, at + 1);
                }
                cJSON_Delete(page);
                if (rc == 0) {
                        s->have = 1;
                        return s;
                }
                if (rc < 0)
                        break;
        }
        /* First look, or the newest entry seen is no longer among the newest. */
        sendseen_clear(s);
        cJSON *all = sendseen_list_tx(node, SENDSEEN_WINDOW, err, errlen);
        if (all == NULL)
                return NULL;
        int rc = sendseen_add(s, cJSON_GetObjectItemCaseSensitive(all, "result"), 0);
        cJSON_Delete(all);
        if (rc != 0) {
                sendseen_clear(s);
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        s->have = 1;
        return s;
}

int
sendseen_has(const struct sendseen *s, const char *id)
{
        for (size_t i = s->n; i > 0; i--)
                if (strcmp(s->ids[i - 1], id) == 0)
                        return 1;
        return 0;
}

void
sendseen_free_all(void)
{
        while (sendseen_list != NULL) {
                struct sendseen *s = sendseen_list;
                sendseen_list = s->next;
                sendseen_clear(s);
                free(s->ids);
                free(s->key);
                free(s);
        }
}
