/* Private to config*.c: the parser state they share and the functions of
 * config_base.c, which calls no other config file (see there). */
#ifndef QPAYD_CONFIG_BASE_H
#define QPAYD_CONFIG_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* The tables a file may contain. Store tables (per_store) belong to the most
 * recent [[stores]]. */
enum config_section {
        CONFIG_S_DATABASE,
        CONFIG_S_SERVER,
        CONFIG_S_EXECUTOR,
        CONFIG_S_AUTH,
        CONFIG_S_STORE,
        CONFIG_S_LIGHTNING,
        CONFIG_S_BITCOIN,
        CONFIG_S_LIGHTNING_PAYOUT,
        CONFIG_S_LIGHTNING_PAYOUT_REFUNDS,
        CONFIG_S_BITCOIN_PAYOUT,
        CONFIG_S_BITCOIN_PAYOUT_REFUNDS,
        CONFIG_S_WEBHOOKS,
        CONFIG_S_COUNT
};

#define CONFIG_MAX_KEYS 128

/* Where each key of a store was given (0: not given), and each store table. */
struct config_store_meta {
        int key_line[CONFIG_MAX_KEYS];
        int table_line[CONFIG_S_COUNT];
};

/* One error before sorting by line. */
struct config_pending {
        int line;
        char *msg;
};

/* The loader's state, shared by every config*.c file. */
struct config_parse {
        const char *path; /* name used in messages */
        enum config_program prog;
        struct config *cfg;
        struct config_store_meta *meta; /* one per store */
        int top_key_line[CONFIG_MAX_KEYS];
        int top_table_line[CONFIG_S_COUNT];
        struct config_pending *errs;
        size_t nerrs, caperrs;
        /* reader */
        FILE *fp;
        const char *text;
        size_t pos;
        int lineno;
        int section; /* enum config_section, or CONFIG_SEC_NONE / CONFIG_SEC_SKIP */
};

#define CONFIG_SEC_NONE (-1) /* before any table */
#define CONFIG_SEC_SKIP (-2) /* inside a bad table: its keys are not checked */

/* Records "path:line: [section] key: message" (section and key may be NULL). */
void config_parse_error(struct config_parse *p, int line, const char *section, const char *key,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Path of var in $CREDENTIALS_DIRECTORY, or false when there is none. */
bool config_secret_path(const char *var, char *path, size_t size);

/* "store \"main\"", or "the store on line 12" when it has no valid id. */
const char *config_store_label(const struct config_store *st, char buf[80]);

/* Allocation that never returns NULL (aborts on exhaustion). */
void *config_xrealloc(void *ptr, size_t size);
char *config_xstrdup(const char *s);

#endif
