/* What every route handler does first (find the store, check an id) and how
 * it answers a database failure. */
#ifndef QPAYD_API_HANDLER_H
#define QPAYD_API_HANDLER_H

#include "config.h"
#include "db.h"
#include "http.h"

/* The store named by route parameter 0, or NULL after answering 404. */
const struct config_store *handler_store(struct http_ctx *c);
/* Route parameter idx when it is a well-formed id with prefix; otherwise NULL
 * after answering 404 naming what (an id that cannot exist is not found). */
const char *handler_id(struct http_ctx *c, size_t idx, const char *prefix, const char *what);
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

#endif
