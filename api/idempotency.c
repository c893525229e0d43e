#include "idempotency.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "statements.h"

int
idempotency_from_request(struct http_ctx *c, const char *store_id, enum auth_role role,
                         struct idem *i)
{
        memset(i, 0, sizeof(*i));
        i->store_id = store_id;
        i->role = auth_role_name(role);
        /* A second key, perhaps added by a proxy or a retrying client, would
         * otherwise be ignored without a word. */
        if (http_header_count(c, "Idempotency-Key") > 1) {
                http_error(c, 400, "invalid_idempotency_key",
                           "Idempotency-Key header repeated: send it once");
                return -1;
        }
        const char *key = http_header(c, "Idempotency-Key");
        if (key == NULL)
                return 0;
        size_t n = strlen(key);
        if (n == 0 || n > IDEM_KEY_MAX) {
                http_error(c, 400, "invalid_idempotency_key",
                           "Idempotency-Key must be 1 to %d characters", IDEM_KEY_MAX);
                return -1;
        }
        for (size_t k = 0; k < n; k++) {
                unsigned char ch = (unsigned char)key[k];
                if (ch < 0x20 || ch > 0x7e) {
                        http_error(c, 400, "invalid_idempotency_key",
                                   "Idempotency-Key must be printable ASCII");
                        return -1;
                }
        }
        i->key = key;
        /* The fingerprint covers method, path and the exact body. */
        crypto_hash_sha256_state st;
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, (const unsigned char *)c->method, strlen(c->method) + 1);
        crypto_hash_sha256_update(&st, (const unsigned char *)c->path, strlen(c->path) + 1);
        size_t len;
        const unsigned char *body = (const unsigned char *)http_body_view(c, &len);
        if (len > 0)
                crypto_hash_sha256_update(&st, body, len);
        crypto_hash_sha256_final(&st, digest);
        sodium_bin2hex(i->fingerprint, sizeof(i->fingerprint), digest, sizeof(digest));
        return 0;
}

static void
idempotency_in_flight(struct http_ctx *c, const struct idem *i)
{
        http_error(c, 409, "idempotency_key_in_flight",
                   "a request with Idempotency-Key '%.64s' is still running; retry later", i->key);
}

int
idempotency_resolve(struct http_ctx *c, struct db *db, const struct idem *i)
{
        const char *p[] = {i->store_id, i->role, i->key};
        PGresult *r = handler_exec(c, db, STMT_IDEM_GET, 3, p);
        if (r == NULL)
                return 0;
        if (PQntuples(r) != 1) {
                /* The row that conflicted is gone again: expired and pruned. */
                PQclear(r);
                return 1;
        }
        if (PQgetvalue(r, 0, 4)[0] == 't') {
                PQclear(r);
                PGresult *d = handler_exec(c, db, STMT_IDEM_DELETE_EXPIRED, 3, p);
                PQclear(d);
                return d != NULL;
        }
        if (strcmp(PQgetvalue(r, 0, 0), i->fingerprint) != 0) {
                PQclear(r);
                http_error(c, 422, "idempotency_key_reused",
                           "Idempotency-Key '%.64s' was used for a different request", i->key);
                return 0;
        }
        if (strcmp(PQgetvalue(r, 0, 1), "done") != 0) {
                /* Written in one transaction with its response: not seen. */
                PQclear(r);
                idempotency_in_flight(c, i);
                return 0;
        }
        int status = atoi(PQgetvalue(r, 0, 2));
        http_add_header(c, "Idempotent-Replayed", "true");
        http_reply_text(c, status, PQgetvalue(r, 0, 3));
        PQclear(r);
        return 0;
}

int
idempotency_begin(struct http_ctx *c, struct db *db, const struct idem *i)
{
        for (int attempt = 0;; attempt++) {
                if (handler_begin(c, db) != 0)
                        return -1;
                if (i->key == NULL)
                        return 0;
                const char *p[] = {i->store_id, i->role, i->key, i->fingerprint};
                enum db_err err = DB_OK;
                PGresult *r = db_exec_prepared(db, STMT_IDEM_CLAIM, 4, p, &err);
                if (r != NULL) {
                        PQclear(r);
                        return 0;
                }
                if (err == DB_ERR_LOCK_NOT_AVAIL) {
                        db_rollback(db);
                        idempotency_in_flight(c, i);
                        return -1;
                }
                if (err != DB_ERR_UNIQUE) {
                        handler_db_error(c, db, err);
                        return -1;
                }
                db_rollback(db);
                if (idempotency_resolve(c, db, i) == 0)
                        return -1;
                if (attempt > 0) {
                        /* Expired, deleted, and taken again meanwhile. */
                        http_error(c, 409, "conflict",
                                   "Idempotency-Key '%.64s' is changing hands; retry", i->key);
                        return -1;
                }
        }
}

int
idempotency_store(struct http_ctx *c, struct db *db, const struct idem *i, int status,
                  const char *body, const char *resource_id)
{
        if (i->key == NULL)
                return 0;
        char st[16];
        snprintf(st, sizeof(st), "%d", status);
        const char *p[] = {i->store_id, i->role, i->key, st, body, resource_id};
        PGresult *r = handler_exec(c, db, STMT_IDEM_STORE, 6, p);
        if (r == NULL)
                return -1;
        PQclear(r);
        return 0;
}
