#include "handler.h"

#include <stdarg.h>
#include <stdlib.h>

#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "worker_state.h"

const struct config_store *
handler_store(struct http_ctx *c)
{
        const struct config_store *s = config_store_find(c->cfg, c->params[0]);
        if (s == NULL)
                http_error(c, 404, "store_not_found", "store '%.64s' does not exist", c->params[0]);
        return s;
}

const char *
handler_id(struct http_ctx *c, size_t idx, const char *prefix, const char *what)
{
        const char *id = c->params[idx];
        if (!ids_valid(id, prefix)) {
                http_error(c, 404, "not_found", "%s '%.64s' does not exist in store %s", what, id,
                           c->params[0]);
                return NULL;
        }
        return id;
}

cJSON *
handler_body_object(struct http_ctx *c, const char *const *allowed, int empty_ok)
{
        size_t len = 0;
        char *body = http_body(c, &len);
        if (body == NULL)
                return NULL;
        struct json_error err = {0};
        cJSON *root = json_body_object(body, len, allowed, empty_ok, &err);
        free(body);
        if (root == NULL)
                http_error(c, err.status, err.code, "%s", err.msg);
        return root;
}

const char *
handler_opt_string(struct http_ctx *c, const cJSON *obj, const char *key, size_t maxlen, int *bad)
{
        struct json_error err = {0};
        const char *v = json_opt_string(obj, key, maxlen, &err);
        if (err.status != 0) {
                http_error(c, err.status, err.code, "%s", err.msg);
                *bad = 1;
        }
        return v;
}

struct db *
handler_db(struct http_ctx *c)
{
        struct db *db = &c->worker->db;
        if (!c->offloop) {
                /* A route that needs it lacks ROUTE_DB: never block the loop. */
                log_error("blocking database used on the event loop", "path", c->path);
                http_error(c, 500, "internal", "internal error (request %s)", c->request_id);
                return NULL;
        }
        if (c->db_late) {
                http_error(c, 503, "database_unavailable", "the database is unavailable; retry");
                return NULL;
        }
        if (db_ensure(db) != 0) {
                log_warn("database unavailable", "request_id", c->request_id, "error",
                         db->last_error);
                http_error(c, 503, "database_unavailable", "the database is unavailable; retry");
                return NULL;
        }
        return db;
}

void
handler_db_error(struct http_ctx *c, struct db *db, enum db_err err)
{
        db_rollback(db);
        log_warn("database error", "request_id", c->request_id, "kind", db_err_name(err), "error",
                 db->last_error);
        handler_async_error(c, err);
}

void
handler_async_error(struct http_ctx *c, enum db_err err)
{
        metrics_count_db_error();
        switch (err) {
        case DB_ERR_CONNECTION:
                http_error(c, 503, "database_unavailable", "the database is unavailable; retry");
                break;
        case DB_ERR_LOCK_NOT_AVAIL:
        case DB_ERR_QUERY_CANCELED:
        case DB_ERR_SERIALIZATION:
                http_error(c, 409, "conflict", "a concurrent request holds this resource; retry");
                break;
        default:
                http_error(c, 500, "internal", "internal error (request %s)", c->request_id);
                break;
        }
}

PGresult *
handler_exec(struct http_ctx *c, struct db *db, const char *stmt, int n, const char *const *params)
{
        enum db_err err = DB_OK;
        PGresult *r = db_exec_prepared(db, stmt, n, params, &err);
        if (r == NULL)
                handler_db_error(c, db, err);
        return r;
}

void
handler_fail(struct http_ctx *c, struct db *db, int status, const char *code, const char *fmt, ...)
{
        db_rollback(db);
        va_list ap;
        va_start(ap, fmt);
        http_errorv(c, status, code, fmt, ap);
        va_end(ap);
}

int
handler_begin(struct http_ctx *c, struct db *db)
{
        enum db_err err = DB_OK;
        if (db_begin(db, &err) != 0 || db_exec(db, "SET LOCAL lock_timeout = '5s'", &err) != 0) {
                handler_db_error(c, db, err);
                return -1;
        }
        return 0;
}

int
handler_commit(struct http_ctx *c, struct db *db)
{
        enum db_err err = DB_OK;
        if (db_commit(db, &err) != 0) {
                handler_db_error(c, db, err);
                return -1;
        }
        return 0;
}

/* 1 on the loop thread, which owns the pipelines; else 0 after answering
 * 500 (a ROUTE_DB handler must not use them). */
static int
handler_on_loop(struct http_ctx *c)
{
        if (!c->offloop)
                return 1;
        log_error("pipelined database used off the event loop", "path", c->path);
        http_error(c, 500, "internal", "internal error (request %s)", c->request_id);
        return 0;
}

/* rc: whether a statement for c was queued. When it was not, the answer is
 * 503 now; when it was, the answer comes from its callback. */
static int
handler_queued(struct http_ctx *c, int rc)
{
        if (rc != 0) {
                http_error(c, 503, "database_unavailable", "the database is unavailable; retry");
                return -1;
        }
        c->async = 1;
        return 0;
}

/* The worker's least busy pipelined connection, looking from start on (ties
 * go to the first), so that statements run in different backends instead of
 * queuing behind each other in one; for a read, the connection where this
 * loop turn's reads gather, so that they share one round trip. Connections
 * being made again are passed over. NULL when there is none. */
static struct dbq *
handler_dbq(struct worker *w, unsigned start, int read)
{
        struct dbq *q = NULL;
        for (unsigned i = 0; i < WORKER_PIPELINES; i++) {
                struct dbq *d = w->dbq[(start + i) % WORKER_PIPELINES];
                if (d == NULL || !dbq_ready(d))
                        continue;
                if (read && dbq_gathering(d))
                        return d;
                if (q == NULL || dbq_pending(d) < dbq_pending(q))
                        q = d;
        }
        return q;
}

struct dbq *
handler_pipeline(struct worker *w)
{
        return handler_dbq(w, w->dbq_next++, 0);
}

int
handler_submit(struct http_ctx *c, const char *stmt, int n, const char *const *params, dbq_cb cb)
{
        if (!handler_on_loop(c))
                return -1;
        /* Ties go round-robin: writes rotate over idle connections. */
        struct dbq *q = handler_dbq(c->worker, c->worker->dbq_next++, 0);
        return handler_queued(c, q == NULL ? -1 : dbq_submit(q, stmt, n, params, cb, c));
}

void
handler_async_done(struct http_ctx *c)
{
        http_ctx_free(c);
}

static void
handler_get_done(void *arg, const PGresult *r, enum db_err err, const char *constraint)
{
        (void)constraint;
        struct http_ctx *c = arg;
        const struct handler_get *spec = c->pending;
        if (r == NULL)
                handler_async_error(c, err);
        else if (PQntuples(r) == 1 && spec->render != NULL)
                http_reply_json(c, 200, spec->render(r, 0));
        else if (PQntuples(r) == 1)
                http_reply_text(c, 200, PQgetvalue(r, 0, 0));
        else
                http_error(c, 404, spec->not_found_code, "%s %s does not exist in store %s",
                           spec->what, c->params[1], c->params[0]);
        handler_async_done(c);
}

void
handler_get_one(struct http_ctx *c, const struct handler_get *spec)
{
        if (!handler_on_loop(c))
                return;
        const char *p[] = {c->params[0], c->params[1]};
        c->pending = spec;
        /* Each turn's reads to the least busy connection: while one backend
         * answers a turn's reads, another answers the next. */
        struct dbq *q = handler_dbq(c->worker, 0, 1);
        handler_queued(c,
                       q == NULL ? -1 : dbq_submit_read(q, spec->stmt, 2, p, handler_get_done, c));
}
