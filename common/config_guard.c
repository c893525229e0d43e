/* The public daemon's payout-credential guard. qpayd must be runnable with no
 * payout credential in its config, its environment or its credentials
 * directory (DESIGN.md, Security); the checks here refuse to run otherwise.
 * Only names are ever looked at: a payout credential's value is never read,
 * so it can appear in no message. */
#include "config_table.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Payout credential variable names that operators copy from the reference
 * documentation (refund-docs.md, "Refund Execution Config", and DESIGN.md),
 * plus the barkd token name of deploy/executor.example.toml. qpayd refuses
 * them whatever its config names. Keep docs/configuration.md in step. */
static const char *const config_guard_names[] = {
    "QPAYD_LIGHTNING_REFUND_PASSWORD",
    "QPAYD_BITCOIN_REFUND_RPC_AUTH",
    "QPAYD_BARKD_TOKEN",
    NULL,
};

const char *const *
config_guard_reserved_names(void)
{
        return config_guard_names;
}

bool
config_guard_reserved(const char *var)
{
        for (size_t i = 0; var != NULL && config_guard_names[i] != NULL; i++) {
                if (strcmp(var, config_guard_names[i]) == 0)
                        return true;
        }
        return false;
}

/* Where var is within qpayd's reach, as the rest of a sentence, or NULL.
 * lstat, not open: the file is never read, and a dangling link counts. */
static const char *
config_guard_where(const char *var)
{
        char path[PATH_MAX];
        struct stat st;
        if (getenv(var) != NULL)
                return "is set in the environment of qpayd";
        if (config_secret_path(var, path, sizeof(path)) && lstat(path, &st) == 0)
                return "is present in qpayd's $CREDENTIALS_DIRECTORY";
        return NULL;
}

void
config_guard_environment(struct config_parse *p)
{
        for (size_t i = 0; config_guard_names[i] != NULL; i++) {
                const char *where = config_guard_where(config_guard_names[i]);
                if (where != NULL)
                        config_parse_error(p, 0, NULL, NULL,
                                           "%s %s; it is a payout credential name of the "
                                           "reference documentation, and payout credentials "
                                           "belong to qpayd-executor on the wallet host",
                                           config_guard_names[i], where);
        }
}

bool
config_guard_key(struct config_parse *p, const struct config_key *k, const char *var, int line,
                 const char *section)
{
        if (k->flags & CONFIG_K_PAYOUT) {
                /* Refused even when the variable is absent: the public
                 * server's copy of a payout table is its .refunds policy. */
                config_parse_error(p, line, section, k->name,
                                   "a payout credential key has no place in qpayd's "
                                   "configuration; it belongs in qpayd-executor's file on the "
                                   "wallet host (qpayd reads only the %.*s.refunds] policy)",
                                   (int)strlen(section) - 1, section);
                /* Reserved names are reported once, by config_guard_environment. */
                const char *where = config_guard_reserved(var) ? NULL : config_guard_where(var);
                if (where != NULL)
                        config_parse_error(p, line, section, k->name,
                                           "%s %s; payout credentials belong to "
                                           "qpayd-executor on the wallet host",
                                           var, where);
                return true;
        }
        if (config_guard_reserved(var)) {
                /* Never read it, even as a receive credential or a token. */
                config_parse_error(p, line, section, k->name,
                                   "%s is a payout credential name of the reference "
                                   "documentation; qpayd never reads it: name another variable",
                                   var);
                return true;
        }
        return false;
}
