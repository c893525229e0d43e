/* qpayd.toml: the TOML subset of the reference documentation, read with inih.
 * Both programs read the same format; each resolves only the secrets it uses. */
#ifndef QPAYD_CONFIG_H
#define QPAYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "approval.h"

/* Which program is reading: decides which secrets are resolved and which
 * cross-checks apply. */
enum config_program { CONFIG_PROG_API = 1, CONFIG_PROG_EXECUTOR = 2 };

#define CONFIG_DEFAULT_PATH "/etc/qpayd/qpayd.toml"

/* Every problem found, in file order: "path:line: [section] key: message".
 * Owned by the struct; config_errors_free releases the messages. */
struct config_errors {
        char **items;
        size_t count;
        size_t cap;
};
void config_errors_add(struct config_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void config_errors_free(struct config_errors *errs);

/* [stores.X_payout.refunds]: refund policy, read by both programs. A limit of
 * -1 means "not set" (no limit). */
struct config_refunds {
        bool present;
        bool enabled;                           /* default false */
        int64_t max_refund_sats;                /* -1 = unset */
        int64_t daily_refund_limit_sats;        /* -1 = unset */
        int64_t manual_approval_threshold_sats; /* -1 = unset */
        int poll_seconds;                       /* default 30 */
        int line;                               /* where the table starts */
};

/* [stores.lightning], [stores.bitcoin], [stores.lightning_payout],
 * [stores.bitcoin_payout]. Strings are NULL when not set. */
struct config_backend {
        bool present;
        char *backend; /* "phoenixd", "barkd" or "bitcoind" */
        char *url;
        char *wallet;
        char *limited_api_password_env;
        char *webhook_secret_env;
        char *full_api_password_env;
        char *rpc_auth_env;
        char *token_env;  /* barkd bearer token (lightning_payout) */
        int poll_seconds; /* receive tables: default 10 */
        struct config_refunds refunds;
        /* Resolved secrets; NULL when the running program does not read them. */
        char *limited_api_password;
        char *webhook_secret;
        char *full_api_password;
        char *rpc_auth;
        char *token;
        int line;
};

/* [stores.webhooks] (qpayd): signed event notifications to the shop,
 * docs/webhooks.md. */
struct config_webhooks {
        bool present;
        char *url;                  /* NULL: only objects' notification_url */
        char *secret_env;           /* required with the table */
        char *secret;               /* resolved (qpayd) */
        char *events;               /* "*" or a comma-separated list; default "*" */
        bool allow_private_targets; /* http:// and private addresses; default false */
        int first_retry_seconds;    /* the first retry's delay, doubling; default 30 */
        int line;
};

struct config_store {
        char *id;
        char *network;          /* mainnet | testnet | signet | regtest; default mainnet */
        char *api_token_env;    /* effective: store value, else [auth] */
        char *admin_token_env;  /* effective */
        char *payout_token_env; /* effective */
        bool admin_token_can_payout;
        int refund_window_days;     /* 0 = no window */
        int confirmations_required; /* default 1 */
        int fee_warning_percent;    /* executor: default 1; 0 = no fee warning */
        bool auto_refund_overpayment;
        bool one_refund_in_flight; /* a second refund of an invoice waits (409) */
        int claim_lifetime_days;   /* claimable refunds: default 30 (docs/claims.md) */
        /* Approvers' Ed25519 public keys (docs/configuration.md): as written,
         * and parsed from both (owned; empty when neither is set). */
        char *approval_public_keys;
        char *approval_public_keys_file;
        struct approval_keys approval_keys;
        struct config_backend lightning;
        struct config_backend bitcoin;
        struct config_backend lightning_payout;
        struct config_backend bitcoin_payout;
        struct config_webhooks webhooks;
        /* Resolved tokens (qpayd only); NULL when that role has no token. */
        char *api_token;
        char *admin_token;
        char *payout_token;
        int line;
};

struct config {
        char *path;
        char *database_url_env; /* default "QPAYD_DATABASE_URL" */
        char *database_url;     /* resolved secret */
        /* [database] listen_url_env: a direct URL (never through the pooler) for
         * LISTEN, session advisory locks and migrations; NULL when unset. */
        char *database_listen_url_env;
        char *database_listen_url; /* resolved secret */
        char *db_pooler;           /* [database] pooler: "none" or "transaction" */
        /* [database] limits (common/db.h struct db_limits); 0 turns one off */
        int db_connect_timeout_seconds;   /* default 5 */
        int db_statement_timeout_seconds; /* default 4 */
        int db_query_timeout_seconds;     /* default 5 */
        int db_keepalive_seconds;         /* default 10 */
        int db_tcp_user_timeout_seconds;  /* default 10 */
        /* [server] */
        char *listen; /* default "127.0.0.1:8080" */
        int workers;  /* default 4, 1..256 */
        char *public_url;
        int64_t max_body_bytes;           /* default 65536 */
        int timeout_seconds;              /* default 30 */
        int http_request_timeout_seconds; /* [server] request_timeout_seconds, default 10 */
        int max_connections;              /* 0: derived from the open-files limit */
        bool receive;                  /* default true: may hold the receive lease (api/lease.h) */
        char *dashboard_path;          /* default "/dashboard/"; "": no dashboard */
        int claim_requests_per_minute; /* per client address; default 30, 0: no limit */
        /* [executor] */
        char *executor_name;         /* default: host name */
        int request_timeout_seconds; /* default 60 */
        int reconcile_after_seconds; /* default 300 */
        int max_in_flight;           /* default 8, 1..256: payouts called at once */
        char *executor_journal;      /* default /var/lib/qpayd-executor/journal */
        /* [auth] defaults */
        char *auth_api_token_env;
        char *auth_admin_token_env;
        char *auth_payout_token_env;
        struct config_store *stores;
        size_t nstores;
};

/* Reads and validates path for prog, resolving that program's secrets from
 * the environment or $CREDENTIALS_DIRECTORY. On success returns 0 and sets
 * *out (caller frees with config_free). On failure returns -1, *out is NULL
 * and errs holds every problem found, each naming file, line and key. */
int config_load(const char *path, enum config_program prog, struct config **out,
                struct config_errors *errs);
/* Same, from a string (tests); name is used in messages in place of a path. */
int config_load_string(const char *text, const char *name, enum config_program prog,
                       struct config **out, struct config_errors *errs);
/* Wipes secrets and frees everything. NULL is fine. */
void config_free(struct config *cfg);
/* True under [database] pooler = "transaction". */
bool config_db_pooled(const struct config *cfg);
/* The URL of a session connection straight to PostgreSQL (db_open_direct):
 * listen_url_env's when set, else the main URL when it is not pooled, else
 * NULL (then LISTEN falls back to polling). Borrowed from cfg. */
const char *config_db_direct_url(const struct config *cfg);

const struct config_store *config_store_find(const struct config *cfg, const char *id);

/* Reads one secret: $CREDENTIALS_DIRECTORY/<var> when that file exists, else
 * the environment variable var. Returns a malloc'd copy (trailing newline
 * removed) the caller must wipe and free, or NULL with *why set to a static
 * explanation that never contains the secret. */
char *config_secret_read(const char *var, const char **why);
/* Frees a secret after overwriting it. */
void config_secret_free(char *secret);

/* The payout credential variable names of the reference documentation that
 * qpayd refuses in its environment and $CREDENTIALS_DIRECTORY whatever its
 * config names; NULL-terminated. */
const char *const *config_guard_reserved_names(void);

/* Prints the key table (section, key, type, default, program, secret) as a
 * Markdown table: the source of docs/configuration.md. */
void config_print_reference(FILE *out);

#endif
