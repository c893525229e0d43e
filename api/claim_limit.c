#include "claim_limit.h"

#include <event2/http.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "worker_state.h"

struct claim_limit_slot {
        time_t minute; /* the window this count is for */
        int count;
};

static struct claim_limit_slot claim_limit_slots[CLAIM_LIMIT_SLOTS];
static pthread_mutex_t claim_limit_lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a: spreads addresses over the slots. */
static uint32_t
claim_limit_hash(const char *s)
{
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 16777619u;
        return h;
}

int
claim_limit_allow(const char *addr, time_t now, int per_minute)
{
        if (per_minute <= 0)
                return 1;
        struct claim_limit_slot *s = &claim_limit_slots[claim_limit_hash(addr) % CLAIM_LIMIT_SLOTS];
        time_t minute = now / 60;
        pthread_mutex_lock(&claim_limit_lock);
        if (s->minute != minute) {
                s->minute = minute;
                s->count = 0;
        }
        int ok = s->count < per_minute;
        if (ok)
                s->count++;
        pthread_mutex_unlock(&claim_limit_lock);
        return ok;
}

int
claim_limit_admit(struct http_ctx *c)
{
        char addr[64];
        http_peer(c, addr, sizeof(addr));
        if (claim_limit_allow(addr, time(NULL), c->cfg->claim_requests_per_minute))
                return 1;
        http_add_header(c, "Retry-After", "60");
        http_error(c, 429, "rate_limited",
                   "too many claim requests from this address; retry in a minute");
        return 0;
}

void
claim_limit_submit(struct http_ctx *c, dbthread_fn fn, void *job)
{
        c->pending = job;
        if (!claim_limit_admit(c)) {
                c->pending = NULL;
                free(job);
                return;
        }
        if (dbthread_submit(c->worker->dbt, c, fn) == 0) {
                c->async = 1;
                return;
        }
        c->pending = NULL;
        free(job);
        http_error(c, 503, "server_busy", "too many requests wait for the database; retry");
}
