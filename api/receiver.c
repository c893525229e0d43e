#include "receiver.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "lease.h"
#include "live_config.h"
#include "lnrecv.h"
#include "log.h"
#include "payments.h"
#include "reach.h"
#include "statements.h"
#include "watcher.h"

#define RECEIVER_QUEUE      256
#define RECEIVER_MAX_STORES 256
#define RECEIVER_LN_BATCH   "500" /* open Lightning invoices checked per poll */
#define RECEIVER_TIMEOUT    15

struct receiver_hint {
        char store[65];
        char hash[65];
};

/* When each store is next due, and what was last logged about it (so a
 * broken backend is reported when it breaks and when it recovers, not every
 * poll). */
struct receiver_sched {
        char store[65];
        time_t ln_next, chain_next;
        struct watcher_state chain;
        /* What /readyz shows, under rcv.lock: the last poll of each backend. */
        time_t ln_at, chain_at;
        char ln_error[300];
        char chain_error[400];
};

static struct {
        pthread_t thread;
        atomic_int running; /* read by the workers in receiver_notify */
        int wake[2];
        atomic_int stop;
        pthread_mutex_t lock;
        struct receiver_hint queue[RECEIVER_QUEUE];
        size_t nqueue;
        char *database_url;
        char *lease_url;          /* the lease's session connection (lease.h) */
        struct live_config *live; /* borrowed: each round holds its configuration */
        struct receiver_sched sched[RECEIVER_MAX_STORES];
        size_t nsched;
} rcv = {.wake = {-1, -1}, .lock = PTHREAD_MUTEX_INITIALIZER};

void
receiver_notify(const char *store_id, const char *payment_hash)
{
        if (!atomic_load(&rcv.running))
                return;
        pthread_mutex_lock(&rcv.lock);
        int queued = 0;
        if (rcv.nqueue < RECEIVER_QUEUE) {
                struct receiver_hint *h = &rcv.queue[rcv.nqueue++];
                snprintf(h->store, sizeof(h->store), "%s", store_id);
                snprintf(h->hash, sizeof(h->hash), "%s", payment_hash);
                queued = 1;
        }
        pthread_mutex_unlock(&rcv.lock);
        if (!queued) {
                log_warn("webhook queue full: the poller will find the payment", "store", store_id,
                         "payment_hash", payment_hash);
                return;
        }
        ssize_t w = write(rcv.wake[1], "w", 1); /* non-blocking; a full pipe already wakes */
        (void)w;
}

static struct receiver_sched *
receiver_sched_for(const char *store)
{
        /* Appends only from the receiver thread, under the lock /readyz takes. */
        for (size_t i = 0; i < rcv.nsched; i++)
                if (strcmp(rcv.sched[i].store, store) == 0)
                        return &rcv.sched[i];
        if (rcv.nsched == RECEIVER_MAX_STORES)
                return NULL;
        pthread_mutex_lock(&rcv.lock);
        struct receiver_sched *s = &rcv.sched[rcv.nsched];
        memset(s, 0, sizeof(*s));
        snprintf(s->store, sizeof(s->store), "%s", store);
        rcv.nsched++;
        pthread_mutex_unlock(&rcv.lock);
        return s;
}

/* Asks phoenixd about one invoice's payment hash; records it when paid.
 * Returns -1 when phoenixd did not answer usefully (the caller stops its
 * round rather than wait out the timeout once per open invoice). */
static int
receiver_ln_check(struct db *db, const struct config_store *store, const char *invoice,
                  const char *hash, char *err, size_t errsz)
{
        struct lnrecv ln = {.url = store->lightning.url,
                            .password = store->lightning.limited_api_password,
                            .timeout_secs = RECEIVER_TIMEOUT};
        struct lnrecv_incoming in;
        int rc = lnrecv_incoming(&ln, hash, &in, err, errsz);
        if (rc < 0) {
                log_warn("phoenixd lookup failed", "store", store->id, "invoice", invoice,
                         "payment_hash", hash, "error", err);
                return -1;
        }
        if (rc == 1 || !in.paid)
                return 0;
        char detail[96];
        snprintf(detail, sizeof(detail), "{\"fees_msat\":%lld}", (long long)in.fees_msat);
        struct payment_obs o = {.store = store->id,
                                .invoice = invoice,
                                .method = "lightning",
                                .reference = hash,
                                .amount_sats = in.received_sat,
                                .confirmations = 0,
                                .state = "credited",
                                .actor = "lightning",
                                .detail = detail};
        payments_observe(db, store, &o);
        return 0;
}

/* A webhook's hash: only an invoice of that store is looked up. */
static void
receiver_ln_hint(struct db *db, const struct config *cfg, const struct receiver_hint *h)
{
        const struct config_store *store = config_store_find(cfg, h->store);
        if (store == NULL || !store->lightning.present)
                return;
        const char *p[] = {store->id, h->hash};
        enum db_err err;
        PGresult *r = db_exec_prepared(db, STMT_INVOICE_BY_HASH, 2, p, &err);
        if (r == NULL) {
                log_warn("webhook check failed", "store", store->id, "kind", db_err_name(err));
                return;
        }
        char why[300];
        if (PQntuples(r) == 1)
                receiver_ln_check(db, store, PQgetvalue(r, 0, 0), h->hash, why, sizeof(why));
        else
                log_info("webhook for a payment hash of no invoice of this store", "store",
                         store->id, "payment_hash", h->hash);
        PQclear(r);
}

/* One round of the Lightning poller, while this instance holds the lease
 * (confirmed at least every second). 0, or -1 with why in err. */
static int
receiver_ln_poll(struct db *db, struct lease *lease, const struct config_store *store, char *err,
                 size_t errsz)
{
        const char *p[] = {store->id, RECEIVER_LN_BATCH};
        enum db_err derr;
        PGresult *r = db_exec_prepared(db, STMT_LN_OPEN, 2, p, &derr);
        if (r == NULL) {
                log_warn("lightning poll failed", "store", store->id, "kind", db_err_name(derr));
                snprintf(err, errsz, "database: %s", db_err_name(derr));
                return -1;
        }
        int rc = 0;
        for (int i = 0; i < PQntuples(r) && !atomic_load(&rcv.stop) && rc == 0; i++) {
                if (!lease_hold(lease))
                        break; /* another instance receives now */
                /* phoenixd down ends the round: the next one tries again */
                rc = receiver_ln_check(db, store, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), err,
                                       errsz);
        }
        PQclear(r);
        return rc;
}

static void
receiver_drain_hints(struct db *db, const struct config *cfg)
{
        struct receiver_hint batch[RECEIVER_QUEUE];
        pthread_mutex_lock(&rcv.lock);
        size_t n = rcv.nqueue;
        memcpy(batch, rcv.queue, n * sizeof(batch[0]));
        rcv.nqueue = 0;
        pthread_mutex_unlock(&rcv.lock);
        for (size_t i = 0; i < n && !atomic_load(&rcv.stop); i++)
                receiver_ln_hint(db, cfg, &batch[i]);
}

/* One round. Webhook hints are checked on any instance (one lookup per
 * payment, whichever instance phoenixd's webhook reached); the polling only
 * while this instance holds the lease, confirmed before each poll. */
static void
receiver_tick(struct db *db, struct lease *lease, const struct config *cfg)
{
        receiver_drain_hints(db, cfg);
        for (size_t i = 0; i < cfg->nstores && !atomic_load(&rcv.stop) && lease_hold(lease); i++) {
                const struct config_store *store = &cfg->stores[i];
                struct receiver_sched *s = receiver_sched_for(store->id);
                if (s == NULL)
                        continue;
                time_t now = time(NULL);
                if (store->lightning.present && now >= s->ln_next) {
                        s->ln_next = now + store->lightning.poll_seconds;
                        char err[300] = "";
                        int rc = receiver_ln_poll(db, lease, store, err, sizeof(err));
                        pthread_mutex_lock(&rcv.lock);
                        s->ln_at = time(NULL);
                        snprintf(s->ln_error, sizeof(s->ln_error), "%s", rc == 0 ? "" : err);
                        pthread_mutex_unlock(&rcv.lock);
                }
                receiver_drain_hints(db, cfg); /* webhooks first: a payer is waiting */
                now = time(NULL);
                if (store->bitcoin.present && now >= s->chain_next && lease_hold(lease)) {
                        s->chain_next = now + store->bitcoin.poll_seconds;
                        watcher_poll(db, store, &s->chain, &rcv.stop);
                        pthread_mutex_lock(&rcv.lock);
                        s->chain_at = time(NULL);
                        snprintf(s->chain_error, sizeof(s->chain_error), "%s", s->chain.problem);
                        pthread_mutex_unlock(&rcv.lock);
                }
        }
}

static void *
receiver_main(void *arg)
{
        (void)arg;
        struct db db = {0};
        struct lease lease;
        if (lease_init(&lease, rcv.lease_url) != 0) {
                log_error("receiver: out of memory");
                return NULL;
        }
        while (!atomic_load(&rcv.stop)) {
                if (db.conn == NULL || db_ensure(&db) != 0) {
                        db_close(&db);
                        if (db_open_session(&db, rcv.database_url, "SET lock_timeout = '5s'",
                                            statements, statements_count, 1) != 0) {
                                log_warn("receiver has no database connection yet", "error",
                                         db.last_error);
                                db_close(&db);
                        }
                }
                if (db.conn != NULL) {
                        /* A reload during the round frees the old one after it. */
                        struct live_config_ref *ref = live_config_acquire(rcv.live);
                        receiver_tick(&db, &lease, ref->cfg);
                        live_config_release(ref);
                }
                struct pollfd pfd = {.fd = rcv.wake[0], .events = POLLIN};
                if (!atomic_load(&rcv.stop) && poll(&pfd, 1, 1000) > 0) {
                        char buf[64];
                        while (read(rcv.wake[0], buf, sizeof(buf)) > 0) {
                        }
                }
        }
        lease_free(&lease);
        db_close(&db);
        return NULL;
}

int
receiver_start(struct live_config *live)
{
        if (pipe2(rcv.wake, O_NONBLOCK | O_CLOEXEC) != 0)
                return -1;
        rcv.live = live;
        /* database_url changes only on restart: the first one is kept. */
        struct live_config_ref *ref = live_config_acquire(live);
        rcv.database_url = strdup(ref->cfg->database_url);
        rcv.lease_url = strdup(lease_url(ref->cfg));
        live_config_release(ref);
        atomic_store(&rcv.stop, 0);
        if (rcv.database_url == NULL || rcv.lease_url == NULL ||
            pthread_create(&rcv.thread, NULL, receiver_main, NULL) != 0) {
                free(rcv.database_url);
                free(rcv.lease_url);
                close(rcv.wake[0]);
                close(rcv.wake[1]);
                return -1;
        }
        atomic_store(&rcv.running, 1);
        return 0;
}

void
receiver_stop(void)
{
        if (!atomic_load(&rcv.running))
                return;
        atomic_store(&rcv.stop, 1);
        ssize_t w = write(rcv.wake[1], "s", 1);
        (void)w;
        pthread_join(rcv.thread, NULL);
        atomic_store(&rcv.running, 0);
        close(rcv.wake[0]);
        close(rcv.wake[1]);
        free(rcv.database_url);
        free(rcv.lease_url);
        rcv.database_url = NULL;
        rcv.lease_url = NULL;
}

static void
receiver_backend_json(cJSON *store, const char *name, time_t at, const char *error)
{
        cJSON *b = cJSON_AddObjectToObject(store, name);
        if (b == NULL)
                return;
        char ts[32] = "";
        struct tm tm;
        if (at != 0 && gmtime_r(&at, &tm) != NULL)
                strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddStringToObject(b, "status", at == 0 ? "starting" : error[0] ? "failing" : "ok");
        if (at != 0)
                cJSON_AddStringToObject(b, "last_poll_at", ts);
        if (error[0])
                cJSON_AddStringToObject(b, "error", error);
}

void
receiver_status_json(const struct config *cfg, cJSON *out)
{
        cJSON *all = cJSON_AddObjectToObject(out, "receive_backends");
        if (all == NULL)
                return;
        pthread_mutex_lock(&rcv.lock);
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *st = &cfg->stores[i];
                if (!st->lightning.present && !st->bitcoin.present)
                        continue;
                const struct receiver_sched *s = NULL;
                for (size_t k = 0; k < rcv.nsched && s == NULL; k++)
                        if (strcmp(rcv.sched[k].store, st->id) == 0)
                                s = &rcv.sched[k];
                cJSON *o = cJSON_AddObjectToObject(all, st->id);
                if (o == NULL)
                        break;
                if (st->lightning.present)
                        receiver_backend_json(o, "lightning", s ? s->ln_at : 0,
                                              s ? s->ln_error : "");
                if (st->bitcoin.present)
                        receiver_backend_json(o, "bitcoin", s ? s->chain_at : 0,
                                              s ? s->chain_error : "");
        }
        pthread_mutex_unlock(&rcv.lock);
}

/* Logs what a backend's start-up check found; -1 when serving must be
 * refused. */
static int
receiver_preflight_verdict(const struct config_store *store, const char *what, enum reach_verdict v,
                           const char *chain, const char *why)
{
        if (v == REACH_WRONG_CHAIN) {
                log_error(strcmp(what, "phoenixd") == 0
                              ? "phoenixd is on another chain than the store's network"
                              : "bitcoind is on another chain than the store's network",
                          "store", store->id, "chain", chain, "network", store->network);
                return -1;
        }
        if (v == REACH_FULL_PASSWORD) {
                log_error("the limited phoenixd password of this store opens payinvoice: it is "
                          "the full password, which qpayd must never hold",
                          "store", store->id, "key", "[stores.lightning] limited_api_password_env");
                return -1;
        }
        if (v == REACH_UNREACHABLE)
                log_warn("receive backend not reachable yet: the receiver keeps trying", "store",
                         store->id, "backend", what, "reason", why);
        return 0;
}

/* One store's backends against its network, before serving: what is wrong
 * refuses, what does not answer yet only warns. */
static int
receiver_preflight_store(const struct config_store *store)
{
        char why[400], chain[64];
        int bad = 0, ibd = 0;
        if (store->lightning.present)
                bad |= receiver_preflight_verdict(
                    store, "phoenixd",
                    reach_lightning_probe(store, 5, chain, sizeof(chain), why, sizeof(why)), chain,
                    why);
        if (store->bitcoin.present)
                bad |= receiver_preflight_verdict(
                    store, "bitcoind",
                    reach_bitcoin_node(store, 5, &ibd, chain, sizeof(chain), why, sizeof(why)),
                    chain, why);
        return bad ? -1 : 0;
}

int
receiver_preflight(const struct config *cfg)
{
        int rc = 0;
        for (size_t i = 0; i < cfg->nstores; i++)
                if (receiver_preflight_store(&cfg->stores[i]) != 0)
                        rc = -1;
        return rc;
}
