#include "payout.h"

#include <string.h>

#include "barkd.h"
#include "bitcoind.h"
#include "phoenixd.h"

static const struct payout_backend *const payout_backends[] = {&phoenixd_backend, &barkd_backend,
                                                               &bitcoind_backend};

const struct payout_backend *
payout_backend_find(const char *name)
{
        for (size_t i = 0; name != NULL && i < sizeof(payout_backends) / sizeof(*payout_backends);
             i++)
                if (strcmp(payout_backends[i]->name, name) == 0)
                        return payout_backends[i];
        return NULL;
}

int
payout_supported(const struct config_backend *b, const struct dest *d, char *why, size_t whysz)
{
        const struct payout_backend *be = payout_backend_find(b->backend);
        if (be == NULL) {
                snprintf(why, whysz, "no payout backend %s in this build: settle it by hand",
                         b->backend ? b->backend : "configured");
                return 0;
        }
        return be->supports(d, why, whysz);
}

enum outcome
payout_pay(const struct payout_call *call, struct payout_result *out)
{
        char why[200];
        outcome_result_init(out);
        if (!payout_supported(call->backend, call->dest, why, sizeof(why)))
                return outcome_set(out, OUTCOME_DEFERRED, "not payable through %s",
                                   call->backend->backend ? call->backend->backend : "?");
        return payout_backend_find(call->backend->backend)->pay(call, out);
}

int
payout_check(const struct config *cfg, FILE *out, FILE *err)
{
        int bad = 0;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                const struct config_backend *tables[] = {&s->lightning_payout, &s->bitcoin_payout};
                for (size_t k = 0; k < 2; k++) {
                        const struct config_backend *b = tables[k];
                        if (!b->present)
                                continue;
                        const struct payout_backend *be = payout_backend_find(b->backend);
                        if (be == NULL) {
                                fprintf(err,
                                        "store %s: payout backend %s: ERROR not in this build\n",
                                        s->id, b->backend ? b->backend : "(none)");
                                bad++;
                        } else {
                                bad += be->check(s, b, out, err);
                        }
                }
        }
        fflush(out);
        return bad;
}
