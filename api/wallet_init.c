#include "wallet_init.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base58.h"
#include "btcrpc.h"
#include "cli.h"

/* BIP32 serialisation: version 4, depth 1, fingerprint 4, child 4, chain
 * code 32, then the key data (0x00 followed by the key when private). */
#define WALLET_INIT_BIP32_LEN     78
#define WALLET_INIT_BIP32_KEY_OFF 45

static int
wallet_init_b58char(unsigned char c)
{
        return isalnum(c) && c != '0' && c != 'O' && c != 'I' && c != 'l';
}

/* One maximal run of base58 characters: 1 with what[] set when it is a
 * private key. */
static int
wallet_init_token_is_private(const char *s, size_t len, char *what, size_t whatsz)
{
        if (len >= 4 && strncmp(s + 1, "prv", 3) == 0) {
                snprintf(what, whatsz, "extended private key %.4s...", s);
                return 1;
        }
        if (len > BASE58_MAX_LEN)
                return 0;
        uint8_t payload[BASE58_MAX_LEN];
        size_t plen = 0;
        const char *err = NULL;
        int found = 0;
        if (base58_check_decode(s, len, payload, sizeof(payload), &plen, &err) == 0) {
                if (plen == WALLET_INIT_BIP32_LEN && payload[WALLET_INIT_BIP32_KEY_OFF] == 0x00) {
                        snprintf(what, whatsz, "extended private key");
                        found = 1;
                } else if ((plen == 33 || plen == 34) &&
                           (payload[0] == 0x80 || payload[0] == 0xef)) {
                        snprintf(what, whatsz, "WIF private key");
                        found = 1;
                }
        }
        sodium_memzero(payload, sizeof(payload));
        return found;
}

int
wallet_init_has_private_key(const char *descriptor, char *what, size_t whatsz)
{
        const char *p = descriptor;
        while (p != NULL && *p != '\0') {
                if (!wallet_init_b58char((unsigned char)*p)) {
                        p++;
                        continue;
                }
                const char *start = p;
                while (*p != '\0' && wallet_init_b58char((unsigned char)*p))
                        p++;
                if (wallet_init_token_is_private(start, (size_t)(p - start), what, whatsz))
                        return 1;
        }
        return 0;
}

struct wallet_init {
        const char *store;
        struct btcrpc node;   /* node calls, at "/" */
        struct btcrpc wallet; /* calls at /wallet/<name> */
};

static int wallet_init_fail(const struct wallet_init *wi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
wallet_init_fail(const struct wallet_init *wi, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "wallet-init: store %s: ", wi->store);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return EXIT_FAILURE_;
}

/* Calls method with params (consumed). Same return as btcrpc_call; out is
 * always initialised. */
static int
wallet_init_call(const struct btcrpc *b, const char *method, cJSON *params,
                 struct btcrpc_reply *out)
{
        char *text = params != NULL ? cJSON_PrintUnformatted(params) : NULL;
        cJSON_Delete(params);
        if (text == NULL) {
                memset(out, 0, sizeof(*out));
                snprintf(out->error, sizeof(out->error), "%s: cannot build the parameters", method);
                return -1;
        }
        int rc = btcrpc_call(b, method, text, out);
        free(text);
        return rc;
}

static cJSON *
wallet_init_string_array(const char *s)
{
        cJSON *a = cJSON_CreateArray();
        if (a != NULL && !cJSON_AddItemToArray(a, cJSON_CreateString(s))) {
                cJSON_Delete(a);
                return NULL;
        }
        return a;
}

static void
wallet_init_print_warnings(const struct wallet_init *wi, const char *method, const cJSON *obj)
{
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(obj, "warnings"))
        {
                if (cJSON_IsString(w) && w->valuestring[0] != '\0')
                        fprintf(stderr, "wallet-init: store %s: %s: warning: %s\n", wi->store,
                                method, w->valuestring);
        }
}

/* getdescriptorinfo: the descriptor with its checksum into *out (malloc'd). */
static int
wallet_init_describe(const struct wallet_init *wi, const char *descriptor, char **out)
{
        struct btcrpc_reply r;
        int rc = EXIT_FAILURE_;
        *out = NULL;
        if (wallet_init_call(&wi->node, "getdescriptorinfo", wallet_init_string_array(descriptor),
                             &r) != 0) {
                wallet_init_fail(wi, "%s", r.error);
                goto done;
        }
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r.result, "descriptor");
        const cJSON *priv = cJSON_GetObjectItemCaseSensitive(r.result, "hasprivatekeys");
        const cJSON *range = cJSON_GetObjectItemCaseSensitive(r.result, "isrange");
        if (!cJSON_IsString(d) || !cJSON_IsBool(priv) || !cJSON_IsBool(range)) {
                wallet_init_fail(wi,
                                 "getdescriptorinfo: the answer lacks descriptor, hasprivatekeys "
                                 "or isrange");
        } else if (cJSON_IsTrue(priv)) {
                wallet_init_fail(wi, "getdescriptorinfo: the descriptor holds a private key; qpayd "
                                     "needs a watch-only (public) descriptor");
        } else if (!cJSON_IsTrue(range)) {
                wallet_init_fail(wi, "getdescriptorinfo: the descriptor is not ranged; qpayd hands "
                                     "out an address per invoice, so it needs a ranged descriptor "
                                     "such as wpkh([fp/84h/0h/0h]xpub.../0/*)");
        } else if ((*out = strdup(d->valuestring)) == NULL) {
                wallet_init_fail(wi, "getdescriptorinfo: out of memory");
        } else {
                rc = EXIT_OK;
        }
done:
        btcrpc_reply_free(&r);
        return rc;
}

/* createwallet, or loadwallet when it already exists. *created says which. */
static int
wallet_init_open(const struct wallet_init *wi, int *created)
{
        struct btcrpc_reply r;
        cJSON *p = cJSON_CreateObject();
        if (p != NULL) {
                cJSON_AddStringToObject(p, "wallet_name", wi->wallet.wallet);
                cJSON_AddTrueToObject(p, "disable_private_keys");
                cJSON_AddTrueToObject(p, "blank");
                cJSON_AddTrueToObject(p, "descriptors");
                cJSON_AddTrueToObject(p, "load_on_startup");
        }
        *created = 0;
        if (wallet_init_call(&wi->node, "createwallet", p, &r) == 0) {
                wallet_init_print_warnings(wi, "createwallet", r.result);
                btcrpc_reply_free(&r);
                *created = 1;
                return EXIT_OK;
        }
        if (!(r.code == -4 && strstr(r.error, "already exists") != NULL)) {
                wallet_init_fail(wi, "%s", r.error);
                btcrpc_reply_free(&r);
                return EXIT_FAILURE_;
        }
        btcrpc_reply_free(&r);
        int rc = EXIT_OK;
        /* -35: already loaded, which is what we want. */
        if (wallet_init_call(&wi->node, "loadwallet", wallet_init_string_array(wi->wallet.wallet),
                             &r) != 0 &&
            r.code != -35)
                rc = wallet_init_fail(wi, "%s", r.error);
        btcrpc_reply_free(&r);
        return rc;
}

/* Never import into a wallet that can spend. */
static int
wallet_init_check_watch_only(const struct wallet_init *wi)
{
        struct btcrpc_reply r;
        int rc = EXIT_FAILURE_;
        if (btcrpc_call(&wi->wallet, "getwalletinfo", NULL, &r) != 0) {
                wallet_init_fail(wi, "wallet %s: %s", wi->wallet.wallet, r.error);
                goto done;
        }
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(r.result, "private_keys_enabled");
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(r.result, "descriptors");
        if (!cJSON_IsFalse(pk))
                wallet_init_fail(wi,
                                 "wallet %s has private keys enabled (a spending wallet); refusing "
                                 "to import into it: qpayd needs a watch-only wallet, so choose "
                                 "another [stores.bitcoin] wallet name",
                                 wi->wallet.wallet);
        else if (!cJSON_IsTrue(desc))
                wallet_init_fail(wi,
                                 "wallet %s is a legacy (non-descriptor) wallet; qpayd needs a "
                                 "descriptor wallet: choose another [stores.bitcoin] wallet name",
                                 wi->wallet.wallet);
        else
                rc = EXIT_OK;
done:
        btcrpc_reply_free(&r);
        return rc;
}

/* The descriptor without "#checksum" and with ' written h, for comparing
 * what getdescriptorinfo and listdescriptors print. */
static int
wallet_init_same_desc(const char *a, const char *b)
{
        for (;; a++, b++) {
                char ca = (*a == '#') ? '\0' : (*a == '\'' ? 'h' : *a);
                char cb = (*b == '#') ? '\0' : (*b == '\'' ? 'h' : *b);
                if (ca != cb)
                        return 0;
                if (ca == '\0')
                        return 1;
        }
}

/* An existing wallet may already watch this descriptor and have handed out
 * addresses: importing it again with next_index 0 would hand them out again
 * (one address for two invoices). Reads its next index into *next (0 when the
 * wallet does not hold it). */
static int
wallet_init_next_index(const struct wallet_init *wi, const char *desc, long *next)
{
        struct btcrpc_reply r;
        int rc = EXIT_FAILURE_;
        *next = 0;
        if (btcrpc_call(&wi->wallet, "listdescriptors", NULL, &r) != 0) {
                wallet_init_fail(wi,
                                 "wallet %s: %s (needed to keep the address index of an existing "
                                 "wallet)",
                                 wi->wallet.wallet, r.error);
                goto done;
        }
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(r.result, "descriptors"))
        {
                const cJSON *text = cJSON_GetObjectItemCaseSensitive(d, "desc");
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "next_index");
                if (!cJSON_IsNumber(n))
                        n = cJSON_GetObjectItemCaseSensitive(d, "next");
                if (cJSON_IsString(text) && wallet_init_same_desc(text->valuestring, desc) &&
                    cJSON_IsNumber(n) && n->valuedouble > *next && n->valuedouble <= 1e9)
                        *next = (long)n->valuedouble;
        }
        rc = EXIT_OK;
done:
        btcrpc_reply_free(&r);
        return rc;
}

static cJSON *
wallet_init_import_params(const char *desc, long next)
{
        cJSON *outer = cJSON_CreateArray(), *list = cJSON_CreateArray(),
              *item = cJSON_CreateObject(), *range = cJSON_CreateArray();
        if (outer == NULL || list == NULL || item == NULL || range == NULL) {
                cJSON_Delete(outer);
                cJSON_Delete(list);
                cJSON_Delete(item);
                cJSON_Delete(range);
                return NULL;
        }
        cJSON_AddItemToArray(range, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(range, cJSON_CreateNumber(next > WALLET_INIT_RANGE_END
                                                           ? (double)next
                                                           : WALLET_INIT_RANGE_END));
        cJSON_AddStringToObject(item, "desc", desc);
        cJSON_AddTrueToObject(item, "active");
        cJSON_AddItemToObject(item, "range", range);
        cJSON_AddNumberToObject(item, "next_index", (double)next);
        cJSON_AddStringToObject(item, "timestamp", "now");
        cJSON_AddFalseToObject(item, "internal");
        cJSON_AddItemToArray(list, item);
        cJSON_AddItemToArray(outer, list);
        return outer;
}

/* importdescriptors: every item of the answer must say success. */
static int
wallet_init_import(const struct wallet_init *wi, const char *desc, long next)
{
        struct btcrpc_reply r;
        int rc = EXIT_FAILURE_;
        if (wallet_init_call(&wi->wallet, "importdescriptors",
                             wallet_init_import_params(desc, next), &r) != 0) {
                wallet_init_fail(wi, "wallet %s: %s", wi->wallet.wallet, r.error);
                goto done;
        }
        if (!cJSON_IsArray(r.result) || cJSON_GetArraySize(r.result) == 0) {
                wallet_init_fail(wi,
                                 "wallet %s: importdescriptors: the answer is not a list of "
                                 "results",
                                 wi->wallet.wallet);
                goto done;
        }
        int i = 0, failed = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, r.result)
        {
                wallet_init_print_warnings(wi, "importdescriptors", item);
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "success"))) {
                        i++;
                        continue;
                }
                const cJSON *err = cJSON_GetObjectItemCaseSensitive(item, "error");
                const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
                const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
                wallet_init_fail(
                    wi, "wallet %s: importdescriptors item %d failed: error %ld: %.300s",
                    wi->wallet.wallet, i,
                    cJSON_IsNumber(code) && code->valuedouble >= -1e9 && code->valuedouble <= 1e9
                        ? (long)code->valuedouble
                        : 0L,
                    cJSON_IsString(msg) ? msg->valuestring : "(no message)");
                failed++;
                i++;
        }
        if (failed == 0)
                rc = EXIT_OK;
done:
        btcrpc_reply_free(&r);
        return rc;
}

int
wallet_init_run(const struct config *cfg, const char *store_id, const char *descriptor)
{
        struct wallet_init wi = {.store = store_id};
        char what[64];
        /* Before anything reaches bitcoind: a private key must not even travel. */
        if (wallet_init_has_private_key(descriptor, what, sizeof(what)))
                return wallet_init_fail(&wi,
                                        "the descriptor holds a private key (%s); qpayd needs a "
                                        "watch-only (public) descriptor: use the xpub/tpub form",
                                        what);
        const struct config_store *st = config_store_find(cfg, store_id);
        if (st == NULL)
                return wallet_init_fail(&wi, "no such store in %s", cfg->path);
        const struct config_backend *bt = &st->bitcoin;
        if (!bt->present)
                return wallet_init_fail(&wi, "the store has no [stores.bitcoin] table in %s",
                                        cfg->path);
        if (bt->url == NULL || bt->wallet == NULL)
                return wallet_init_fail(&wi, "[stores.bitcoin] needs url and wallet");
        if (bt->rpc_auth == NULL)
                return wallet_init_fail(&wi,
                                        "[stores.bitcoin] rpc_auth_env is not set: wallet-init "
                                        "needs a bitcoind login");
        wi.node = (struct btcrpc){.url = bt->url, .wallet = NULL, .rpc_auth = bt->rpc_auth};
        wi.wallet = (struct btcrpc){
            .url = bt->url, .wallet = bt->wallet, .rpc_auth = bt->rpc_auth, .timeout_secs = 120};

        char *desc = NULL;
        int created = 0;
        long next = 0;
        int rc = wallet_init_describe(&wi, descriptor, &desc);
        if (rc == EXIT_OK)
                rc = wallet_init_open(&wi, &created);
        if (rc == EXIT_OK)
                rc = wallet_init_check_watch_only(&wi);
        if (rc == EXIT_OK && !created)
                rc = wallet_init_next_index(&wi, desc, &next);
        if (rc == EXIT_OK)
                rc = wallet_init_import(&wi, desc, next);
        if (rc == EXIT_OK)
                printf("wallet-init: store %s: wallet %s (%s) watches %s (range 0-%ld, next "
                       "index %ld); private keys disabled\n",
                       store_id, bt->wallet, created ? "created" : "existing", desc,
                       next > WALLET_INIT_RANGE_END ? next : (long)WALLET_INIT_RANGE_END, next);
        free(desc);
        return rc;
}
