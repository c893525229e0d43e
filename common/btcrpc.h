/* bitcoind JSON-RPC (legacy mode) over common/httpc: the request body, the
 * wallet path, the user:password split, one blocking request whose raw answer
 * the caller classifies (the executor's payouts and reconcile: whether money
 * may have left), and one call that reads the answer for it. Used by the
 * receive side of qpayd (watch-only wallet), by `qpayd wallet-init` and
 * check-config, and by the executor. */
#ifndef QPAYD_BTCRPC_H
#define QPAYD_BTCRPC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "httpc.h"

/* {"id":id,"method":method,"params":params_json} (legacy JSON-RPC: no
 * "jsonrpc" member). params_json is inserted as written (an array or an
 * object; NULL: []). Returns a malloc'd string, or NULL. */
char *btcrpc_request(const char *method, const char *params_json, const char *id);

/* Splits rpc_auth "user:password" into user (copied) and *password
 * (pointing into rpc_auth). 0, or -1 when it is not of that form. */
int btcrpc_auth_split(const char *rpc_auth, char *user, size_t usersz, const char **password);

/* "<base>/wallet/<wallet, percent-encoded>" (or base itself when wallet is
 * NULL) into buf. 0, or -1 when it does not fit. */
int btcrpc_url(const char *base, const char *wallet, char *buf, size_t bufsz);

struct btcrpc {
        const char *url;           /* the node, e.g. http://127.0.0.1:8332 */
        const char *wallet;        /* NULL: a node call at "/" */
        const char *rpc_auth;      /* "user:password" (borrowed secret) */
        long connect_timeout_secs; /* 0: 5 seconds */
        long timeout_secs;         /* total; 0: 30 seconds */
        size_t max_response;       /* 0: HTTPC_MAX_RESPONSE */
};

struct btcrpc_reply {
        struct httpc_response http; /* the raw answer: amounts are read from its text */
        cJSON *root;                /* the parsed body, or NULL */
        const cJSON *result;        /* borrowed from root when the call succeeded */
        long code;                  /* the RPC error code when the node answered one, else 0 */
        char error[320];            /* why the call failed; never holds a credential */
};

/* Sends {"id":id,"method":method,"params":params_json} to the node (or
 * wallet) and leaves the raw answer in resp, with httpc_perform's contract:
 * 0 when an HTTP answer arrived (whatever its status), -1 otherwise with
 * resp->err, resp->errmsg and resp->sent set. A request that cannot be built
 * (rpc_auth not user:password, URL too long, no memory) is HTTPC_ERR_USAGE,
 * never sent. resp is always initialised: free it with httpc_response_free. */
int btcrpc_post(const struct btcrpc *b, const char *method, const char *params_json, const char *id,
                struct httpc_response *resp);

/* Calls method with params_json. Returns 0 when the node answered a result
 * (out->result), -1 otherwise with out->error saying why: no answer (and
 * whether it may have been sent), HTTP 401/403/503, or the RPC error "code
 * message". out is always initialised: free it with btcrpc_reply_free. */
int btcrpc_call(const struct btcrpc *b, const char *method, const char *params_json,
                struct btcrpc_reply *out);
void btcrpc_reply_free(struct btcrpc_reply *r);

/* Parses a bitcoind answer (len bytes, NUL terminated) that the caller reads
 * both as a tree and as raw text (common/jsontext.h: amounts keep every
 * digit). NULL unless the text is one JSON value followed only by spaces and
 * no object in it repeats a name: cJSON finds the first decoded spelling of
 * a name ("res\u0075lt") and jsontext_raw_member the first unescaped one, and
 * bytes after the value are read by one and not the other, so either could
 * make the tree and the text describe different things. bitcoind writes
 * neither. Free with cJSON_Delete. */
cJSON *btcrpc_parse_exact(const char *text, size_t len);

/* The answer-reading half of btcrpc_call, pure: reads out->http (an answer
 * that arrived) into out->root, out->result, out->code and out->error, with
 * btcrpc_call's returns. method only names the call in out->error. Exposed
 * for the fuzz harness. */
int btcrpc_read_reply(const char *method, struct btcrpc_reply *out);

#endif
