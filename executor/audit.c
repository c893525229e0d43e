#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "payout.h"
#include "queries.h"

struct audit {
        FILE *out;
        long bad;
        char **seen; /* "store\tid" of every database refund, sorted */
        size_t nseen, capseen;
};

static void
audit_say(struct audit *a, const char *store, const char *id, const char *what)
{
        fprintf(a->out, "disagree refund=%s store=%s: %s\n", id, store, what);
        a->bad++;
}

static int
audit_seen_add(struct audit *a, const char *store, const char *id)
{
        if (a->nseen == a->capseen) {
                size_t cap = a->capseen ? a->capseen * 2 : 256;
                char **n = realloc(a->seen, cap * sizeof(*n));
                if (n == NULL)
                        return -1;
                a->seen = n;
                a->capseen = cap;
        }
        size_t len = strlen(store) + strlen(id) + 2;
        char *k = malloc(len);
        if (k == NULL)
                return -1;
        snprintf(k, len, "%s\t%s", store, id);
        a->seen[a->nseen++] = k;
        return 0;
}

static int
audit_cmp(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

/* One database refund against its journal entry. */
static void
audit_row(struct audit *a, const struct journal_entry *e, const char *store, const char *id,
          const char *status, int64_t amount, const char *tx, const char *proof, int executed)
{
        char what[512];
        int succeeded = strcmp(status, "succeeded") == 0;
        if (e == NULL) {
                if (succeeded && executed)
                        audit_say(a, store, id,
                                  "succeeded in the database, absent from the journal");
                return;
        }
        if (e->store[0] && e->amount_sats != amount) {
                snprintf(what, sizeof(what), "amounts differ: journal %lld sat, database %lld sat",
                         (long long)e->amount_sats, (long long)amount);
                audit_say(a, store, id, what);
        }
        if (e->state == JOURNAL_SUCCEEDED && !succeeded) {
                snprintf(what, sizeof(what), "paid in the journal (%s%s), %s in the database",
                         e->tx_id[0] ? "tx_id=" : "proof=", e->tx_id[0] ? e->tx_id : e->proof,
                         status);
                audit_say(a, store, id, what);
        } else if (e->state == JOURNAL_SUCCEEDED &&
                   ((e->tx_id[0] && strcmp(e->tx_id, tx) != 0) ||
                    (e->proof[0] && strcmp(e->proof, proof) != 0))) {
                audit_say(a, store, id, "succeeded in both, with a different proof");
        } else if (e->state == JOURNAL_FAILED && succeeded) {
                audit_say(a, store, id, "failed in the journal, succeeded in the database");
        } else if ((e->state == JOURNAL_STARTED || e->state == JOURNAL_UNKNOWN ||
                    e->state == JOURNAL_TORN) &&
                   (strcmp(status, "pending") == 0 || strcmp(status, "failed") == 0 ||
                    strcmp(status, "canceled") == 0)) {
                snprintf(what, sizeof(what),
                         "started in the journal (the call may have paid), %s in the database",
                         status);
                audit_say(a, store, id, what);
        }
}

static int
audit_store(struct audit *a, struct journal *j, struct db *db, const char *store)
{
        enum db_err err;
        const char *pq[] = {store};
        PGresult *r = db_exec_prepared(db, Q_AUDIT_REFUNDS, 1, pq, &err);
        if (r == NULL) {
                fprintf(stderr, "audit: store %s: cannot read its refunds: %s\n", store,
                        db->last_error);
                return -1;
        }
        int rc = 0;
        for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
                const char *id = PQgetvalue(r, i, 0);
                audit_row(a, journal_find(j, id), store, id, PQgetvalue(r, i, 1),
                          strtoll(PQgetvalue(r, i, 2), NULL, 10), PQgetvalue(r, i, 3),
                          PQgetvalue(r, i, 4), strcmp(PQgetvalue(r, i, 6), "t") == 0);
                rc = audit_seen_add(a, store, id);
        }
        PQclear(r);
        return rc;
}

/* payout_audit's say: a disagreement about one refund, or (id NULL) about
 * the store's backend as a whole. */
static void
audit_say_cb(void *ctx, const char *store, const char *id, const char *what)
{
        struct audit *a = ctx;
        if (id != NULL) {
                audit_say(a, store, id, what);
                return;
        }
        fprintf(a->out, "disagree store=%s: %s\n", store, what);
        a->bad++;
}

/* The journal's paid refunds of store s, confirmed by each payout backend
 * that can be asked (its audit). */
static void
audit_backends(struct audit *a, struct journal *j, const struct config_store *s, int timeout)
{
        const struct {
                const char *role;
                const struct config_backend *b;
        } tables[] = {{"bitcoin", &s->bitcoin_payout}, {"lightning", &s->lightning_payout}};
        for (size_t k = 0; k < 2; k++) {
                const struct payout_backend *be =
                    tables[k].b->present ? payout_backend_find(tables[k].b->backend) : NULL;
                if (be == NULL || be->audit == NULL)
                        continue;
                struct payout_audit pa = {s, tables[k].b, tables[k].role, j, timeout, audit_say_cb,
                                          a};
                be->audit(&pa);
        }
}

int
audit_run(const struct config *cfg, struct db *db, FILE *out)
{
        char err[512];
        struct journal *j = journal_open_readonly(cfg->executor_journal, err, sizeof(err));
        if (j == NULL) {
                fprintf(stderr, "audit: %s\n", err);
                return EXIT_FAILURE_;
        }
        struct audit a = {.out = out};
        int rc = 0;
        for (size_t i = 0; i < cfg->nstores && rc == 0; i++)
                rc = audit_store(&a, j, db, cfg->stores[i].id);
        if (rc == 0 && a.nseen > 0)
                qsort(a.seen, a.nseen, sizeof(*a.seen), audit_cmp);
        for (size_t i = 0; i < journal_count(j) && rc == 0; i++) {
                const struct journal_entry *e = journal_at(j, i);
                if (e->acked || e->state == JOURNAL_DEFERRED || e->store[0] == '\0')
                        continue;
                char key[140], *kp = key;
                snprintf(key, sizeof(key), "%s\t%s", e->store, e->id);
                if (a.nseen == 0 ||
                    bsearch(&kp, a.seen, a.nseen, sizeof(*a.seen), audit_cmp) == NULL) {
                        char what[256];
                        snprintf(what, sizeof(what),
                                 "%s in the journal (%lld sat), unknown to the database (restored "
                                 "from an older backup?): once explained, audit --ack %s",
                                 journal_state_name(e->state), (long long)e->amount_sats, e->id);
                        audit_say(&a, e->store, e->id, what);
                }
        }
        for (size_t i = 0; i < cfg->nstores && rc == 0; i++)
                audit_backends(&a, j, &cfg->stores[i], cfg->request_timeout_seconds);
        if (journal_torn_records(j) > 0)
                fprintf(out,
                        "note: %zu damaged journal record(s) (a write cut short by a crash): their "
                        "refunds count as started\n",
                        journal_torn_records(j));
        if (rc == 0)
                fprintf(out, "audit: journal_refunds=%zu database_refunds=%zu disagreements=%ld\n",
                        journal_count(j), a.nseen, a.bad);
        for (size_t i = 0; i < a.nseen; i++)
                free(a.seen[i]);
        free(a.seen);
        journal_free(j);
        return rc != 0 ? EXIT_FAILURE_ : a.bad > 0 ? EXIT_AUDIT : EXIT_OK;
}

int
audit_ack(const struct config *cfg, const char *id, FILE *out)
{
        char err[512];
        struct journal *j = journal_open(cfg->executor_journal, err, sizeof(err));
        if (j == NULL || journal_lock(j, err, sizeof(err)) != 0) {
                fprintf(stderr, "audit --ack: %s\n", err);
                journal_free(j);
                return EXIT_FAILURE_;
        }
        int rc = EXIT_OK;
        if (journal_find(j, id) == NULL) {
                fprintf(stderr, "audit --ack: refund %s is not in journal %s\n", id,
                        journal_path(j));
                rc = EXIT_FAILURE_;
        } else if (journal_append_ack(j, id, err, sizeof(err)) != 0) {
                fprintf(stderr, "audit --ack: %s\n", err);
                rc = EXIT_FAILURE_;
        }
        if (journal_unlock(j, 1, err, sizeof(err)) != 0 && rc == EXIT_OK) {
                fprintf(stderr, "audit --ack: %s\n", err);
                rc = EXIT_FAILURE_;
        }
        if (rc == EXIT_OK)
                fprintf(out, "acknowledged refund=%s in journal %s\n", id, journal_path(j));
        journal_free(j);
        return rc;
}
