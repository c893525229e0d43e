/* The second line's view of a bitcoind wallet: the refund ids (wallet
 * comments) of its sends. The first look reads the last SENDSEEN_WINDOW
 * wallet transactions; later looks read only the newest few and add what
 * came after the newest entry already seen (a wallet lists its transactions
 * in the order it added them), falling back to the whole window when that
 * entry is not among them. So asking before every batch costs a short
 * listtransactions, not the wallet's whole history. */
#ifndef QPAYD_EXECUTOR_SENDSEEN_H
#define QPAYD_EXECUTOR_SENDSEEN_H

#include <stddef.h>

#include "btcrpc.h"

#define SENDSEEN_WINDOW 10000 /* as far back as reconcile reads */
#define SENDSEEN_PAGE   32

struct sendseen;

/* The view of node's wallet (one per url and wallet, kept for the process),
 * brought up to date. NULL with err filled when bitcoind could not be read. */
struct sendseen *sendseen_refresh(const struct btcrpc *node, char *err, size_t errlen);

/* True when the wallet listed a send whose comment is id. */
int sendseen_has(const struct sendseen *s, const char *id);

/* Frees every view (at exit). */
void sendseen_free_all(void);

#endif
