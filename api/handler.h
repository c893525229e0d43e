/* What every route handler does first (find the store, check an id) and how
 * it answers a database failure. */
#ifndef QPAYD_API_HANDLER_H
#define QPAYD_API_HANDLER_H

#include "config.h"
#include <cjson/cJSON.h>

#include "db.h"
#include "dbq.h"
#include "http.h"
#include "json.h"

/* The store named by route parameter 0, or NULL after answering 404. */
const struct config_store *handler_store(struct http_ctx *c);
/* Route parameter idx when it is a well-formed id with prefix; otherwise NULL
 * after answering 404 naming what (an id that cannot exist is not found). */
const char *handler_id(struct http_ctx *c, size_t idx, const char *prefix, const char *what);
/* Reads c's body as a JSON object whose keys are all in allowed (NULL
 * terminated; json_body_object). An empty body is an empty object when
 * empty_ok. Returns the object (caller cJSON_Delete's it) or NULL after
 * answering 400 (or 500 out of memory). */
cJSON *handler_body_object(struct http_ctx *c, const char *const *allowed, int empty_ok);
/* Optional string field: NULL when absent or null; answers 400 and sets *bad
 * when present with another type or longer than maxlen characters. */
const char *handler_opt_string(struct http_ctx *c, const cJSON *obj, const char *key, size_t maxlen,
                               int *bad);

/* The worker's database, reconnected if needed; NULL after answering 503. */
struct db *handler_db(struct http_ctx *c);
/* Rolls back and answers a failed statement: 503 when the database is
 * unreachable, 409 on a lock timeout, 500 otherwise (details in the log). */
void handler_db_error(struct http_ctx *c, struct db *db, enum db_err err);
/* Runs a prepared statement with params; on failure answers via
 * handler_db_error and returns NULL. */
PGresult *handler_exec(struct http_ctx *c, struct db *db, const char *stmt, int n,
                       const char *const *params);

/* Rolls back the open transaction and answers with an error. */
void handler_fail(struct http_ctx *c, struct db *db, int status, const char *code, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* BEGIN. Worker sessions run with lock_timeout = 5 s (serve.c), so a request
 * never waits long on another's lock. Returns 0, or -1 after answering. */
int handler_begin(struct http_ctx *c, struct db *db);
/* COMMIT; -1 after answering on failure. */
int handler_commit(struct http_ctx *c, struct db *db);

/* Runs stmt on the worker's pipelined connection; cb gets c as its argument
 * and must reply and then free c (handler_async_done). Returns 0 (c is now
 * owned by the pending statement), or -1 after answering 503. */
int handler_submit(struct http_ctx *c, const char *stmt, int n, const char *const *params,
                   dbq_cb cb);
/* The pipelined connection handler_submit would pick, for a statement whose
 * callback argument is not a request (a stream's page, a cache's read):
 * NULL when none is ready. Loop thread only. */
struct dbq *handler_pipeline(struct worker *w);
/* For an asynchronous statement that failed: answers as handler_db_error
 * does (nothing to roll back). */
void handler_async_error(struct http_ctx *c, enum db_err err);
/* Frees an asynchronous request's context after its reply. */
void handler_async_done(struct http_ctx *c);

/* A read of one row by store and id (route parameters 0 and 1), rendered
 * as JSON, or 404 naming what was not found. */
struct handler_get {
        const char *stmt;                             /* takes (store_id, id) */
        cJSON *(*render)(const PGresult *r, int row); /* NULL: column 0 is JSON text */
        const char *not_found_code;                   /* e.g. "refund_not_found" */
        const char *what;                             /* e.g. "refund" */
};
/* Runs spec on the pipelined connection and answers when it returns. */
void handler_get_one(struct http_ctx *c, const struct handler_get *spec);

#endif
