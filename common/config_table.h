/* Private to config*.c: the one table of every qpayd.toml key and the
 * functions that read and write fields through it. */
#ifndef QPAYD_CONFIG_TABLE_H
#define QPAYD_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config_base.h"

enum config_type {
        CONFIG_T_STRING, /* "quoted string" */
        CONFIG_T_INT,    /* bare integer, range-checked */
        CONFIG_T_BOOL,   /* true | false */
        CONFIG_T_ENV,    /* "quoted" name of an environment variable */
};

#define CONFIG_NO_OFFSET ((size_t)-1)

struct config_section_def {
        const char *name;    /* as between the brackets: "stores.lightning" */
        const char *written; /* as in messages: "[stores.lightning]", "[[stores]]" */
        bool per_store;
        /* Offsets into struct config_store of the table's `present` (bool) and
         * `line` (int) fields, or CONFIG_NO_OFFSET. */
        size_t present_offset;
        size_t line_offset;
        int parent; /* a .refunds table's payout table, else -1 */
        const char *help;
};

/* Key flags. */
#define CONFIG_K_API           0x001u /* read by qpayd */
#define CONFIG_K_EXECUTOR      0x002u /* read by qpayd-executor */
#define CONFIG_K_SECRET        0x004u /* an _env key whose variable holds a secret */
#define CONFIG_K_PAYOUT        0x008u /* ... a payout credential: never in qpayd's reach */
#define CONFIG_K_REQUIRED      0x010u /* required whenever its table is present */
#define CONFIG_K_EXEC_REQUIRED 0x020u /* required by qpayd-executor (for .backend) */
#define CONFIG_K_AUTH_FALLBACK 0x040u /* unset in a store: the [auth] key of that name */
#define CONFIG_K_HOSTNAME      0x080u /* default: gethostname() */
#define CONFIG_K_UNSET         0x100u /* integer whose default -1 means "not set" */
#define CONFIG_K_USERPASS      0x200u /* the secret must look like user:password */
#define CONFIG_K_EMPTY_OK      0x400u /* a string that may be "" (it turns a feature off) */

/* Checks a string value; returns NULL when fine, else why not (static). */
typedef const char *(*config_check_fn)(const char *value);

struct config_key {
        enum config_section section;
        const char *name;
        enum config_type type;
        unsigned flags;
        const char *def_str; /* string default, or NULL */
        int64_t def_int;     /* integer or bool default */
        int64_t min, max;    /* integer bounds */
        /* Target field: from struct config for top-level tables, from struct
         * config_store for store tables. size is the field's size (int fields
         * are int or int64_t). */
        size_t offset;
        size_t size;
        size_t secret_offset;       /* CONFIG_T_ENV: resolved value, or CONFIG_NO_OFFSET */
        const char *backend;        /* key only valid with this backend value */
        const char *const *choices; /* allowed string values, NULL-terminated */
        config_check_fn check;      /* extra string check, or NULL */
        const char *bounds_doc;     /* bounds column for strings */
        const char *help;
};

extern const struct config_section_def config_sections[CONFIG_S_COUNT];
extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* Row of (section, name), or -1. */
int config_key_find(enum config_section section, const char *name);
/* Row of the key of that name in a section's table, or NULL (for fallbacks). */
const struct config_key *config_key_get(enum config_section section, const char *name);
/* Section named as between the brackets, or -1. */
int config_section_find(const char *name);

/* Field access through the table's offsets. base is a struct config or a
 * struct config_store, by the key's section. */
char **config_key_str(const struct config_key *k, void *base);
char **config_key_secret(const struct config_key *k, void *base);

/* Resolves the secrets p->prog reads and refuses payout credentials within
 * qpayd's reach; then checks the tokens of every store (qpayd). */
void config_resolve_secrets(struct config_parse *p);
/* The payout-credential guard of qpayd (config_guard.c). */
bool config_guard_reserved(const char *var);
/* Errors (line 0) for each reserved name set in the environment or present
 * in $CREDENTIALS_DIRECTORY. */
void config_guard_environment(struct config_parse *p);
/* For qpayd: true when key k (naming var, written at line of section) must
 * not be read, after recording why: any payout credential key, whether or not
 * var exists, and any key naming a reserved name. */
bool config_guard_key(struct config_parse *p, const struct config_key *k, const char *var, int line,
                      const char *section);

/* Row interpretation (config_table.c). base is a struct config for
 * top-level keys, a struct config_store for store keys. */
#define CONFIG_KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
/* Fills the defaults of every top-level (per_store false) or store key. */
void config_apply_defaults(void *base, bool per_store);
/* Converts raw (as inih trimmed it) for key k, checks it against the row and
 * stores it; errors go to p at p->lineno. */
void config_set_value(struct config_parse *p, const struct config_key *k, void *base,
                      const char *raw);
/* Frees the strings and wipes the secrets of every key of base. */
void config_free_fields(void *base, bool per_store);

#endif
