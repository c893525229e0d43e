#include "invoice_list.h"

#include <stdio.h>

#include "auth.h"
#include "handler.h"
#include "listq.h"
#include "statements.h"

void
invoice_list_get(struct http_ctx *c)
{
        const struct config_store *store = handler_store(c);
        if (store == NULL || auth_require(c, store, AUTH_INVOICE) == AUTH_ROLE_NONE)
                return;
        struct db *db = handler_db(c);
        if (db == NULL)
                return;
        struct listq q;
        if (listq_parse(c, LISTQ_INVOICES, 0, &q) == 0) {
                char lim[24];
                snprintf(lim, sizeof(lim), "%ld", q.limit + 1);
                const char *p[LISTQ_PARAMS];
                int n = listq_params(&q, store->id, q.cursor_ts, q.cursor_id, lim, p);
                PGresult *r = handler_exec(c, db, STMT_INVOICES_LIST, n, p);
                if (r != NULL) {
                        listq_reply_page(c, r, q.limit);
                        PQclear(r);
                }
        }
        listq_free(&q);
}
