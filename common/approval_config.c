#include "approval_config.h"

int
approval_config_warn(const struct config *cfg, FILE *out)
{
        int n = 0;
        for (size_t i = 0; i < cfg->nstores; i++) {
                const struct config_store *s = &cfg->stores[i];
                const struct config_refunds *pol[] = {&s->lightning_payout.refunds,
                                                      &s->bitcoin_payout.refunds};
                const char *table[] = {"[stores.lightning_payout.refunds]",
                                       "[stores.bitcoin_payout.refunds]"};
                for (int b = 0; b < 2; b++) {
                        if (!pol[b]->present || pol[b]->manual_approval_threshold_sats < 0 ||
                            s->approval_keys.n > 0)
                                continue;
                        fprintf(out,
                                "%s:%d: %s manual_approval_threshold_sats: warning: store %s "
                                "has no approval_public_keys, so an approval is the admin token "
                                "alone (or a row in the database): the threshold does not hold "
                                "against a compromised public host\n",
                                cfg->path, pol[b]->line, table[b], s->id);
                        n++;
                }
        }
        return n;
}
