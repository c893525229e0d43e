#include "live_config.h"

#include <pthread.h>
#include <stdlib.h>

struct live_config {
        /* Orders an acquire (read current, count a holder) against a swap
         * (replace current, drop its holder): without it a reader could count
         * itself on a configuration the swap has just freed. Held for a few
         * instructions; reloads are rare. */
        pthread_mutex_t lock;
        struct live_config_ref *current;
};

static struct live_config_ref *
live_config_ref_new(const struct config *cfg, struct config *owned)
{
        struct live_config_ref *r = malloc(sizeof(*r));
        if (r == NULL)
                return NULL;
        r->cfg = cfg;
        r->owned = owned;
        atomic_init(&r->holders, 1); /* the live_config's own: it is current */
        return r;
}

struct live_config *
live_config_new(const struct config *first)
{
        struct live_config *lc = malloc(sizeof(*lc));
        if (lc == NULL)
                return NULL;
        lc->current = live_config_ref_new(first, NULL);
        if (lc->current == NULL || pthread_mutex_init(&lc->lock, NULL) != 0) {
                free(lc->current);
                free(lc);
                return NULL;
        }
        return lc;
}

void
live_config_free(struct live_config *lc)
{
        if (lc == NULL)
                return;
        live_config_release(lc->current);
        pthread_mutex_destroy(&lc->lock);
        free(lc);
}

struct live_config_ref *
live_config_acquire(struct live_config *lc)
{
        pthread_mutex_lock(&lc->lock);
        struct live_config_ref *r = lc->current;
        atomic_fetch_add_explicit(&r->holders, 1, memory_order_relaxed);
        pthread_mutex_unlock(&lc->lock);
        return r;
}

void
live_config_release(struct live_config_ref *ref)
{
        if (ref == NULL)
                return;
        /* acq_rel: the freeing thread sees every other holder's reads done. */
        if (atomic_fetch_sub_explicit(&ref->holders, 1, memory_order_acq_rel) != 1)
                return;
        config_free(ref->owned);
        free(ref);
}

int
live_config_swap(struct live_config *lc, struct config *next)
{
        struct live_config_ref *r = live_config_ref_new(next, next);
        if (r == NULL) {
                config_free(next);
                return -1;
        }
        pthread_mutex_lock(&lc->lock);
        struct live_config_ref *old = lc->current;
        lc->current = r;
        pthread_mutex_unlock(&lc->lock);
        live_config_release(old);
        return 0;
}
