/* What a store's approval keys mean for its refund policy, for check-config
 * of both programs. */
#ifndef QPAYD_APPROVAL_CONFIG_H
#define QPAYD_APPROVAL_CONFIG_H

#include <stdio.h>

#include "config.h"

/* Prints one warning line to out for each payout refunds table with a
 * manual_approval_threshold_sats in a store without approval keys: there an
 * approval is the admin token alone, which a compromised public host holds.
 * Returns the number of warnings. */
int approval_config_warn(const struct config *cfg, FILE *out);

#endif
