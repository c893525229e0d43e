#include "health.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "lease.h"
#include "metrics.h"
#include "metrics_latency.h"
#include "metrics_refunds.h"
#include "receiver.h"
#include "rows.h"
#include "schema.h"
#include "statements.h"
#include "worker_state.h"

void
health_live(struct http_ctx *c)
{
        http_reply_text(c, 200, "{\"status\":\"ok\",\"version\":\"" QPAYD_VERSION "\"}");
}

/* The counters, the latency histograms and the refund figures. */
static void
health_metrics_send(struct http_ctx *c)
{
        char body[8192];
        metrics_text(body, sizeof(body));
        struct evbuffer *out = evbuffer_new();
        if (out != NULL) {
                evbuffer_add(out, body, strlen(body));
                metrics_latency_text(out);
                metrics_refunds_text(out);
        }
        if (out != NULL) {
                http_add_header(c, "Content-Type", "text/plain; version=0.0.4");
                http_reply_buffer(c, 200, out);
                evbuffer_free(out);
        } else {
                http_error(c, 500, "internal", "out of memory");
        }
        if (c->async)
                handler_async_done(c);
}

/* On the loop: the refund figures come from a pipelined read when the
 * cached ones are older than a few seconds (metrics_refunds.h). */
void
health_metrics(struct http_ctx *c)
{
        if (metrics_refunds_refresh(c, health_metrics_send) != 0)
                health_metrics_send(c);
}

/* "executors": each qpayd-executor's heartbeat, with its age in seconds. */
static void
health_executors(struct worker *w, cJSON *body)
{
        enum db_err e;
        PGresult *r = db_exec_prepared(&w->db, STMT_HEARTBEATS, 0, NULL, &e);
        if (r == NULL)
                return;
        static const struct rows_col cols[] = {{"executor_id", ROWS_TEXT},
                                               {"host", ROWS_TEXT},
                                               {"pid", ROWS_INT},
                                               {"version", ROWS_TEXT},
                                               {"last_pass_at", ROWS_TEXT},
                                               {"counts", ROWS_JSON},
                                               {"seconds_since_last_pass", ROWS_INT},
                                               {NULL, ROWS_TEXT}};
        cJSON_AddItemToObject(body, "executors", rows_array(r, cols));
        PQclear(r);
}

/* What the schema check found, for /readyz. */
static const char *
health_schema_name(enum schema_fit fit)
{
        switch (fit) {
        case SCHEMA_CURRENT:
                return "current";
        case SCHEMA_NEWER_COMPATIBLE:
                return "newer_compatible";
        case SCHEMA_PENDING:
                return "migrations_pending";
        case SCHEMA_INCOMPATIBLE:
                break;
        }
        return "incompatible";
}

/* On the worker's database thread (ROUTE_DB): bounded by connect_timeout
 * and query_timeout, and "timeout" when the last failure was one. A server
 * that answered with an error is "error" with its SQLSTATE (a code, never a
 * message that could hold data), not "unreachable". */
void
health_ready(struct http_ctx *c)
{
        struct worker *w = c->worker;
        cJSON *body = cJSON_CreateObject();
        struct schema_state have = {0, 1}, want = schema_built();
        enum db_err e = DB_ERR_CONNECTION;
        int db_ok = 0;
        if (!c->db_late && db_ensure(&w->db) == 0) {
                PGresult *r = db_exec_prepared(&w->db, STMT_SCHEMA_VERSION, 0, NULL, &e);
                if (r != NULL && PQntuples(r) == 1) {
                        have.version = atoi(PQgetvalue(r, 0, 0));
                        have.level = atoi(PQgetvalue(r, 0, 1));
                        db_ok = 1;
                }
                PQclear(r);
        }
        char why[160] = "";
        enum schema_fit fit = db_ok ? schema_fit(&have, why, sizeof(why)) : SCHEMA_PENDING;
        int ready = db_ok && schema_usable(fit);
        cJSON_AddStringToObject(body, "status", ready ? "ready" : "not_ready");
        cJSON_AddStringToObject(body, "database",
                                db_ok                                ? "ok"
                                : c->db_late || w->db.last_timed_out ? "timeout"
                                : e != DB_ERR_CONNECTION             ? "error"
                                                                     : "unreachable");
        if (!db_ok && !c->db_late && !w->db.last_timed_out && e != DB_ERR_CONNECTION) {
                cJSON *de = cJSON_AddObjectToObject(body, "database_error");
                cJSON_AddStringToObject(de, "sqlstate", w->db.last_sqlstate);
                cJSON_AddStringToObject(de, "kind", db_err_name(e));
                if (e == DB_ERR_UNDEFINED)
                        snprintf(why, sizeof(why), "schema_migrations missing: run qpayd migrate");
        }
        if (db_ok) {
                cJSON_AddNumberToObject(body, "schema_version", have.version);
                cJSON_AddNumberToObject(body, "schema_level", have.level);
                cJSON_AddStringToObject(body, "schema", health_schema_name(fit));
        }
        cJSON_AddNumberToObject(body, "expected_schema_version", want.version);
        cJSON_AddNumberToObject(body, "expected_schema_level", want.level);
        if (why[0] != '\0')
                cJSON_AddStringToObject(body, "reason", why);
        /* Informational: the API serves without an executor or a receive
         * backend, so neither decides readiness. */
        if (ready)
                health_executors(w, body);
        /* This instance's part in receiving: it polls as "leader" only. */
        cJSON_AddStringToObject(body, "receive", lease_role_name(lease_role()));
        receiver_status_json(c->cfg, body);
        http_reply_json(c, ready ? 200 : 503, body);
}
