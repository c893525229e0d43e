/* Every qpayd.toml key, declared once: section, name, type, default, bounds,
 * which program reads it, whether it names a secret or a payout credential,
 * and the struct field it fills. Parsing, defaults, validation, secret
 * resolution and config_print_reference() all walk this table. */
#include "config_table.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C(f)  offsetof(struct config, f)
#define CS(f) sizeof(((struct config *)0)->f)
#define S(f)  offsetof(struct config_store, f)
#define SS(f) sizeof(((struct config_store *)0)->f)
#define NO    CONFIG_NO_OFFSET

#define API    CONFIG_K_API
#define EXEC   CONFIG_K_EXECUTOR
#define BOTH   (CONFIG_K_API | CONFIG_K_EXECUTOR)
#define SECRET CONFIG_K_SECRET
#define PAYOUT (CONFIG_K_SECRET | CONFIG_K_PAYOUT)
#define REQ    CONFIG_K_REQUIRED

#define MAX_SATS INT64_C(2100000000000000) /* 21 million bitcoin */

static const char *const networks[] = {"mainnet", "testnet", "signet", "regtest", NULL};
static const char *const phoenixd[] = {"phoenixd", NULL};
static const char *const lightning_payout[] = {"phoenixd", "barkd", NULL};
static const char *const bitcoind[] = {"bitcoind", NULL};
static const char *const poolers[] = {"none", "transaction", NULL};

static const char *
check_url(const char *v)
{
        size_t n = strncmp(v, "http://", 7) == 0 ? 7 : strncmp(v, "https://", 8) == 0 ? 8 : 0;
        if (n == 0)
                return "must start with http:// or https://";
        if (v[n] == '\0' || v[n] == '/')
                return "has no host after the scheme";
        return NULL;
}

static const char *
check_port(const char *s)
{
        long port = 0;
        if (*s == '\0')
                return "has no port after ':'";
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return "port must be a number";
                port = port * 10 + (*s - '0');
                if (port > 65535)
                        break;
        }
        if (port < 1 || port > 65535)
                return "port must be between 1 and 65535";
        return NULL;
}

/* "" (off) or "/a/b/": a path of its own, never the API's. */
static const char *
check_dashboard_path(const char *v)
{
        size_t n = strlen(v);
        if (n == 0)
                return NULL;
        if (v[0] != '/' || v[n - 1] != '/' || n < 3)
                return "must be \"\" (off) or a path that starts and ends with '/'";
        for (const char *s = v; *s; s++)
                if (!isalnum((unsigned char)*s) && strchr("/-_.~", *s) == NULL)
                        return "may hold only letters, digits, '/', '-', '_', '.' and '~'";
        if (strstr(v, "//") != NULL || strstr(v, "/./") != NULL || strstr(v, "/../") != NULL)
                return "must not hold an empty, '.' or '..' segment";
        if (strncmp(v, "/v1/", 4) == 0)
                return "must not be under /v1/, the API's";
        return NULL;
}

/* "host:port" or "[v6]:port". */
static const char *
check_listen(const char *v)
{
        const char *colon;
        if (v[0] == '[') {
                const char *end = strchr(v, ']');
                if (end == NULL || end == v + 1 || end[1] != ':')
                        return "must be \"[address]:port\" for an IPv6 address";
                return check_port(end + 2);
        }
        colon = strrchr(v, ':');
        if (colon == NULL || colon == v)
                return "must be \"host:port\" (or \"[address]:port\")";
        if (memchr(v, ':', (size_t)(colon - v)) != NULL)
                return "an IPv6 address must be written in brackets: \"[::1]:8080\"";
        return check_port(colon + 1);
}

static const char *
check_store_id(const char *v)
{
        size_t n = strlen(v);
        if (n > 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
                return "may only contain a-z, 0-9, _ and -, 1 to 64 characters";
        return NULL;
}

/* The webhook event types and reference aliases (docs/webhooks.md; the
 * triggers of sql/010 write them). */
static const char *const webhook_events[] = {
    "invoice.created",    "invoice.processing",     "invoice.paid",
    "invoice.underpaid",  "invoice.overpaid",       "invoice.expired",
    "invoice.refunded",   "refund.created",         "refund.approval_required",
    "refund.approved",    "refund.processing",      "refund.succeeded",
    "refund.failed",      "refund.canceled",        "refund.confirmed",
    "refund.fee_warning", "refund.needs_attention", "refund.initiated",
    "refund.broadcast",   "payment.refunded",       NULL};

/* "*", or event types separated by commas (spaces allowed around them). */
static const char *
check_events(const char *v)
{
        if (strcmp(v, "*") == 0)
                return NULL;
        const char *s = v;
        int n = 0;
        while (*s) {
                s += strspn(s, " ");
                size_t len = strcspn(s, ", ");
                int known = 0;
                for (size_t i = 0; webhook_events[i] != NULL && !known; i++)
                        known = strlen(webhook_events[i]) == len &&
                                strncmp(webhook_events[i], s, len) == 0;
                if (!known)
                        return "must be \"*\" or a comma-separated list of event types "
                               "(docs/webhooks.md)";
                n++;
                s += len;
                s += strspn(s, " ");
                if (*s == ',')
                        s++;
                else if (*s != '\0')
                        return "event types must be separated by commas";
        }
        return n == 0 ? "lists no event type" : NULL;
}

const struct config_section_def config_sections[CONFIG_S_COUNT] = {
    [CONFIG_S_DATABASE] = {"database", "[database]", false, NO, NO, -1,
                           "the PostgreSQL database both programs share"},
    [CONFIG_S_SERVER] = {"server", "[server]", false, NO, NO, -1, "the HTTP API (qpayd only)"},
    [CONFIG_S_EXECUTOR] = {"executor", "[executor]", false, NO, NO, -1,
                           "refund execution (qpayd-executor only)"},
    [CONFIG_S_AUTH] = {"auth", "[auth]", false, NO, NO, -1, "token defaults for every store"},
    [CONFIG_S_STORE] = {"stores", "[[stores]]", true, NO, S(line), -1, "one merchant store"},
    [CONFIG_S_LIGHTNING] =
        {"stores.lightning", "[stores.lightning]", true, S(lightning.present), S(lightning.line),
         -1,
         "receive over Lightning with limited credentials (qpayd; the executor verifies payments)"},
    [CONFIG_S_BITCOIN] =
        {"stores.bitcoin", "[stores.bitcoin]", true, S(bitcoin.present), S(bitcoin.line), -1,
         "receive on-chain with a watch-only wallet (qpayd; the executor verifies payments)"},
    [CONFIG_S_LIGHTNING_PAYOUT] = {"stores.lightning_payout", "[stores.lightning_payout]", true,
                                   S(lightning_payout.present), S(lightning_payout.line), -1,
                                   "pay Lightning refunds (qpayd-executor)"},
    [CONFIG_S_LIGHTNING_PAYOUT_REFUNDS] = {"stores.lightning_payout.refunds",
                                           "[stores.lightning_payout.refunds]", true,
                                           S(lightning_payout.refunds.present),
                                           S(lightning_payout.refunds.line),
                                           CONFIG_S_LIGHTNING_PAYOUT,
                                           "Lightning refund policy (both programs)"},
    [CONFIG_S_BITCOIN_PAYOUT] = {"stores.bitcoin_payout", "[stores.bitcoin_payout]", true,
                                 S(bitcoin_payout.present), S(bitcoin_payout.line), -1,
                                 "pay on-chain refunds (qpayd-executor)"},
    [CONFIG_S_BITCOIN_PAYOUT_REFUNDS] = {"stores.bitcoin_payout.refunds",
                                         "[stores.bitcoin_payout.refunds]", true,
                                         S(bitcoin_payout.refunds.present),
                                         S(bitcoin_payout.refunds.line), CONFIG_S_BITCOIN_PAYOUT,
                                         "on-chain refund policy (both programs)"},
    [CONFIG_S_WEBHOOKS] = {"stores.webhooks", "[stores.webhooks]", true, S(webhooks.present),
                           S(webhooks.line), -1,
                           "signed webhooks to the shop (qpayd; docs/webhooks.md)"},
};

/* Shorthands for rows; every field not named is zero (no flags, no check). */
#define STR(sec, key, progs, def, field, ...)                                                      \
        {                                                                                          \
                .section = sec, .name = key, .type = CONFIG_T_STRING, .flags = progs,              \
                .def_str = def, .offset = field, .secret_offset = NO, __VA_ARGS__                  \
        }
#define INT(sec, key, progs, def, lo, hi, field, sz, ...)                                          \
        {                                                                                          \
                .section = sec, .name = key, .type = CONFIG_T_INT, .flags = progs, .def_int = def, \
                .min = lo, .max = hi, .offset = field, .size = sz, .secret_offset = NO,            \
                __VA_ARGS__                                                                        \
        }
#define BOOL(sec, key, progs, def, field, ...)                                                     \
        {                                                                                          \
                .section = sec, .name = key, .type = CONFIG_T_BOOL, .flags = progs,                \
                .def_int = def, .offset = field, .secret_offset = NO, __VA_ARGS__                  \
        }
#define ENV(sec, key, progs, def, field, secret, ...)                                              \
        {                                                                                          \
                .section = sec, .name = key, .type = CONFIG_T_ENV, .flags = (progs) | SECRET,      \
                .def_str = def, .offset = field, .secret_offset = secret, __VA_ARGS__              \
        }

/* The refund policy rows, identical for both payout backends. */
#define REFUNDS(sec, r)                                                                            \
        BOOL(sec, "enabled", BOTH, 0, S(r.enabled),                                                \
             .help = "qpayd-executor pays these refunds automatically; when false they are "       \
                     "settled by hand"),                                                           \
            INT(sec, "max_refund_sats", BOTH | CONFIG_K_UNSET, -1, 0, MAX_SATS,                    \
                S(r.max_refund_sats), SS(r.max_refund_sats),                                       \
                .help = "largest refund the executor pays; larger ones are settled by hand"),      \
            INT(sec, "daily_refund_limit_sats", BOTH | CONFIG_K_UNSET, -1, 0, MAX_SATS,            \
                S(r.daily_refund_limit_sats), SS(r.daily_refund_limit_sats),                       \
                .help = "total the executor pays per UTC day"),                                    \
            INT(sec, "manual_approval_threshold_sats", BOTH | CONFIG_K_UNSET, -1, 0, MAX_SATS,     \
                S(r.manual_approval_threshold_sats), SS(r.manual_approval_threshold_sats),         \
                .help = "larger refunds wait for an admin approval; needs an admin token"),        \
            INT(sec, "poll_seconds", BOTH, 30, 1, 86400, S(r.poll_seconds), SS(r.poll_seconds),    \
                .help = "seconds between executor passes")

const struct config_key config_keys[] = {
    ENV(CONFIG_S_DATABASE, "url_env", BOTH, "QPAYD_DATABASE_URL", C(database_url_env),
        C(database_url), .help = "libpq connection URL; both programs need it"),
    INT(CONFIG_S_DATABASE, "connect_timeout_seconds", BOTH, 5, 2, 3600,
        C(db_connect_timeout_seconds), CS(db_connect_timeout_seconds),
        .help = "one connection attempt gives up after this (libpq connect_timeout)"),
    INT(CONFIG_S_DATABASE, "statement_timeout_seconds", BOTH, 4, 0, 86400,
        C(db_statement_timeout_seconds), CS(db_statement_timeout_seconds),
        .help = "the server cancels a statement running longer; 0: no limit"),
    INT(CONFIG_S_DATABASE, "query_timeout_seconds", BOTH, 5, 1, 3600, C(db_query_timeout_seconds),
        CS(db_query_timeout_seconds),
        .help = "a database call unanswered this long drops its connection; qpayd answers 503"),
    INT(CONFIG_S_DATABASE, "keepalive_seconds", BOTH, 10, 0, 7200, C(db_keepalive_seconds),
        CS(db_keepalive_seconds),
        .help = "TCP keepalive probes after this idle time, every third of it; 0: off"),
    INT(CONFIG_S_DATABASE, "tcp_user_timeout_seconds", BOTH, 10, 0, 3600,
        C(db_tcp_user_timeout_seconds), CS(db_tcp_user_timeout_seconds),
        .help = "sent data unacknowledged this long drops the connection; 0: system default"),
    STR(CONFIG_S_DATABASE, "pooler", BOTH, "none", C(db_pooler), .choices = poolers,
        .help = "\"transaction\" when url_env points at PgBouncer in transaction mode"),
    ENV(CONFIG_S_DATABASE, "listen_url_env", BOTH, NULL, C(database_listen_url_env),
        C(database_listen_url),
        .help = "direct URL (not the pooler) for LISTEN, leases and migrate; optional"),

    STR(CONFIG_S_SERVER, "listen", API, "127.0.0.1:8080", C(listen), .check = check_listen,
        .bounds_doc = "`host:port` or `[v6]:port`", .help = "address the HTTP API listens on"),
    INT(CONFIG_S_SERVER, "workers", API, 4, 1, 256, C(workers), CS(workers),
        .help = "threads, each with its own database connections; one per core is best"),
    STR(CONFIG_S_SERVER, "public_url", API, NULL, C(public_url), .check = check_url,
        .bounds_doc = "`http://` or `https://` URL", .help = "where phoenixd webhooks reach qpayd"),
    INT(CONFIG_S_SERVER, "max_body_bytes", API, 65536, 1024, 16777216, C(max_body_bytes),
        CS(max_body_bytes),
        .help = "larger request bodies get 413, from their announced length, before they are read"),
    INT(CONFIG_S_SERVER, "timeout_seconds", API, 30, 1, 3600, C(timeout_seconds),
        CS(timeout_seconds), .help = "a connection idle or silent this long is closed"),
    INT(CONFIG_S_SERVER, "request_timeout_seconds", API, 10, 1, 3600,
        C(http_request_timeout_seconds), CS(http_request_timeout_seconds),
        .help = "a request's headers and body must arrive within this, in total (then 408)"),
    INT(CONFIG_S_SERVER, "max_connections", API, 0, 0, 1000000, C(max_connections),
        CS(max_connections),
        .help = "open client connections; 0: what the open-files limit leaves"),
    BOOL(CONFIG_S_SERVER, "receive", API, 1, C(receive),
         .help = "this instance may receive (poll phoenixd and bitcoind, one instance of the "
                 "database at a time) and deliver webhooks; false: the API only"),
    STR(CONFIG_S_SERVER, "dashboard_path", API | CONFIG_K_EMPTY_OK, "/dashboard/",
        C(dashboard_path), .check = check_dashboard_path, .bounds_doc = "`\"\"` or `/path/`",
        .help = "where the operator dashboard is served (docs/dashboard.md); \"\": off"),
    INT(CONFIG_S_SERVER, "claim_requests_per_minute", API, 30, 0, 1000000,
        C(claim_requests_per_minute), CS(claim_requests_per_minute),
        .help = "claim page and LNURL requests per client address and minute; 0: no limit"),

    STR(CONFIG_S_EXECUTOR, "name", EXEC | CONFIG_K_HOSTNAME, NULL, C(executor_name),
        .help = "shown in heartbeats and refund events"),
    INT(CONFIG_S_EXECUTOR, "request_timeout_seconds", EXEC, 60, 1, 3600, C(request_timeout_seconds),
        CS(request_timeout_seconds),
        .help = "a backend call longer than this is an unknown outcome"),
    INT(CONFIG_S_EXECUTOR, "reconcile_after_seconds", EXEC, 300, 1, 86400,
        C(reconcile_after_seconds), CS(reconcile_after_seconds),
        .help = "processing refunds older than this are looked up at the backend"),
    INT(CONFIG_S_EXECUTOR, "max_in_flight", EXEC, 8, 1, 256, C(max_in_flight), CS(max_in_flight),
        .help = "payouts called at once, across stores and backends; 1: one after another"),
    STR(CONFIG_S_EXECUTOR, "journal", EXEC, "/var/lib/qpayd-executor/journal", C(executor_journal),
        .bounds_doc = "file path",
        .help = "append-only record of every payout started; nothing is paid without it"),

    ENV(CONFIG_S_AUTH, "api_token_env", API, NULL, C(auth_api_token_env), NO,
        .help = "default api token (invoices)"),
    ENV(CONFIG_S_AUTH, "admin_token_env", API, NULL, C(auth_admin_token_env), NO,
        .help = "default admin token (approvals, reads, mark-paid)"),
    ENV(CONFIG_S_AUTH, "payout_token_env", API, NULL, C(auth_payout_token_env), NO,
        .help = "default payout token (refund create, finalize, fail, cancel)"),

    STR(CONFIG_S_STORE, "id", BOTH | REQ, NULL, S(id), .check = check_store_id,
        .bounds_doc = "`[a-z0-9_-]`, 1..64 chars, unique", .help = "store id used in URLs"),
    STR(CONFIG_S_STORE, "network", BOTH, "mainnet", S(network), .choices = networks,
        .help = "chain of the store's invoices and refund addresses"),
    ENV(CONFIG_S_STORE, "api_token_env", API | CONFIG_K_AUTH_FALLBACK, NULL, S(api_token_env),
        S(api_token), .help = "invoices"),
    ENV(CONFIG_S_STORE, "admin_token_env", API | CONFIG_K_AUTH_FALLBACK, NULL, S(admin_token_env),
        S(admin_token), .help = "approvals, reads, mark-paid"),
    ENV(CONFIG_S_STORE, "payout_token_env", API | CONFIG_K_AUTH_FALLBACK, NULL, S(payout_token_env),
        S(payout_token), .help = "refund create, finalize, fail, cancel"),
    BOOL(CONFIG_S_STORE, "admin_token_can_payout", API, 0, S(admin_token_can_payout),
         .help = "the admin token may also do payout actions"),
    INT(CONFIG_S_STORE, "refund_window_days", API, 0, 0, 3650, S(refund_window_days),
        SS(refund_window_days), .help = "refunds refused this long after payment; 0: no window"),
    INT(CONFIG_S_STORE, "confirmations_required", BOTH, 1, 0, 1000, S(confirmations_required),
        SS(confirmations_required),
        .help = "on-chain payments are credited (qpayd) and refunded (executor) at this depth"),
    INT(CONFIG_S_STORE, "fee_warning_percent", EXEC, 1, 0, 100, S(fee_warning_percent),
        SS(fee_warning_percent),
        .help =
            "a refund whose fee is above this percent of its amount gets a fee_warning; 0: off"),
    BOOL(CONFIG_S_STORE, "auto_refund_overpayment", API, 0, S(auto_refund_overpayment),
         .help = "record a refund for the excess of an overpaid invoice"),
    BOOL(CONFIG_S_STORE, "one_refund_in_flight", API, 0, S(one_refund_in_flight),
         .help = "refuse a refund of an invoice while another is pending or processing"),
    INT(CONFIG_S_STORE, "claim_lifetime_days", API, 30, 1, 365, S(claim_lifetime_days),
        SS(claim_lifetime_days),
        .help = "a refund the customer claims (docs/claims.md) is canceled unclaimed after this"),
    STR(CONFIG_S_STORE, "approval_public_keys", BOTH, NULL, S(approval_public_keys),
        .bounds_doc = "`ed25519:<base64>` keys, space or comma separated",
        .help = "approvers whose signature approves a refund above the threshold"),
    STR(CONFIG_S_STORE, "approval_public_keys_file", BOTH, NULL, S(approval_public_keys_file),
        .bounds_doc = "path: one key per line, `#` comments",
        .help = "more approval keys, read at start and on reload"),

    STR(CONFIG_S_LIGHTNING, "backend", BOTH | REQ, NULL, S(lightning.backend), .choices = phoenixd),
    STR(CONFIG_S_LIGHTNING, "url", BOTH | REQ, NULL, S(lightning.url), .check = check_url,
        .bounds_doc = "`http://` or `https://` URL"),
    ENV(CONFIG_S_LIGHTNING, "limited_api_password_env", BOTH, NULL,
        S(lightning.limited_api_password_env), S(lightning.limited_api_password),
        .help = "phoenixd limited-access password (receive only)"),
    ENV(CONFIG_S_LIGHTNING, "webhook_secret_env", API, NULL, S(lightning.webhook_secret_env),
        S(lightning.webhook_secret), .help = "checks the signature of phoenixd webhooks"),
    INT(CONFIG_S_LIGHTNING, "poll_seconds", API, 10, 1, 86400, S(lightning.poll_seconds),
        SS(lightning.poll_seconds), .help = "open invoices are checked this often"),

    STR(CONFIG_S_BITCOIN, "backend", BOTH | REQ, NULL, S(bitcoin.backend), .choices = bitcoind),
    STR(CONFIG_S_BITCOIN, "url", BOTH | REQ, NULL, S(bitcoin.url), .check = check_url,
        .bounds_doc = "`http://` or `https://` URL"),
    STR(CONFIG_S_BITCOIN, "wallet", BOTH | REQ, NULL, S(bitcoin.wallet),
        .help = "watch-only descriptor wallet"),
    ENV(CONFIG_S_BITCOIN, "rpc_auth_env", BOTH | CONFIG_K_USERPASS, NULL, S(bitcoin.rpc_auth_env),
        S(bitcoin.rpc_auth), .help = "holds user:password"),
    INT(CONFIG_S_BITCOIN, "poll_seconds", API, 10, 1, 86400, S(bitcoin.poll_seconds),
        SS(bitcoin.poll_seconds), .help = "open invoices are checked this often"),

    STR(CONFIG_S_LIGHTNING_PAYOUT, "backend", EXEC | REQ, NULL, S(lightning_payout.backend),
        .choices = lightning_payout),
    STR(CONFIG_S_LIGHTNING_PAYOUT, "url", EXEC | REQ, NULL, S(lightning_payout.url),
        .check = check_url, .bounds_doc = "`http://` or `https://` URL"),
    ENV(CONFIG_S_LIGHTNING_PAYOUT, "full_api_password_env", EXEC | PAYOUT | CONFIG_K_EXEC_REQUIRED,
        NULL, S(lightning_payout.full_api_password_env), S(lightning_payout.full_api_password),
        .backend = "phoenixd", .help = "phoenixd full-access password"),
    ENV(CONFIG_S_LIGHTNING_PAYOUT, "token_env", EXEC | PAYOUT | CONFIG_K_EXEC_REQUIRED, NULL,
        S(lightning_payout.token_env), S(lightning_payout.token), .backend = "barkd",
        .help = "barkd bearer token"),
    REFUNDS(CONFIG_S_LIGHTNING_PAYOUT_REFUNDS, lightning_payout.refunds),

    STR(CONFIG_S_BITCOIN_PAYOUT, "backend", EXEC | REQ, NULL, S(bitcoin_payout.backend),
        .choices = bitcoind),
    STR(CONFIG_S_BITCOIN_PAYOUT, "url", EXEC | REQ, NULL, S(bitcoin_payout.url), .check = check_url,
        .bounds_doc = "`http://` or `https://` URL"),
    STR(CONFIG_S_BITCOIN_PAYOUT, "wallet", EXEC | REQ, NULL, S(bitcoin_payout.wallet),
        .help = "spending wallet"),
    ENV(CONFIG_S_BITCOIN_PAYOUT, "rpc_auth_env",
        EXEC | PAYOUT | CONFIG_K_EXEC_REQUIRED | CONFIG_K_USERPASS, NULL,
        S(bitcoin_payout.rpc_auth_env), S(bitcoin_payout.rpc_auth),
        .help = "holds user:password of the spending wallet"),
    REFUNDS(CONFIG_S_BITCOIN_PAYOUT_REFUNDS, bitcoin_payout.refunds),

    STR(CONFIG_S_WEBHOOKS, "url", API, NULL, S(webhooks.url), .check = check_url,
        .bounds_doc = "`https://` URL (`http://` with allow_private_targets)",
        .help = "receives the store's events; unset: only notification_url"),
    ENV(CONFIG_S_WEBHOOKS, "secret_env", API | REQ, NULL, S(webhooks.secret_env),
        S(webhooks.secret), .help = "signs every webhook (Qpayd-Signature)"),
    STR(CONFIG_S_WEBHOOKS, "events", API, "*", S(webhooks.events), .check = check_events,
        .bounds_doc = "`*` or comma-separated event types", .help = "the event types sent to url"),
    BOOL(CONFIG_S_WEBHOOKS, "allow_private_targets", API, 0, S(webhooks.allow_private_targets),
         .help = "allow http:// and private, loopback, link-local addresses (tests only)"),
    INT(CONFIG_S_WEBHOOKS, "first_retry_seconds", API, 30, 1, 3600, S(webhooks.first_retry_seconds),
        SS(webhooks.first_retry_seconds),
        .help = "delay before the first retry; it doubles (with jitter) for 3 days"),
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_MAX_KEYS,
               "raise CONFIG_MAX_KEYS");

int
config_key_find(enum config_section section, const char *name)
{
        for (size_t i = 0; i < config_nkeys; i++) {
                if (config_keys[i].section == section && strcmp(config_keys[i].name, name) == 0)
                        return (int)i;
        }
        return -1;
}

const struct config_key *
config_key_get(enum config_section section, const char *name)
{
        int i = config_key_find(section, name);
        return i < 0 ? NULL : &config_keys[i];
}

int
config_section_find(const char *name)
{
        for (int i = 0; i < CONFIG_S_COUNT; i++) {
                if (strcmp(config_sections[i].name, name) == 0)
                        return i;
        }
        return -1;
}

char **
config_key_str(const struct config_key *k, void *base)
{
        return (char **)((char *)base + k->offset);
}

char **
config_key_secret(const struct config_key *k, void *base)
{
        return (char **)((char *)base + k->secret_offset);
}

static void
set_int(const struct config_key *k, void *base, int64_t v)
{
        char *f = (char *)base + k->offset;
        if (k->type == CONFIG_T_BOOL)
                *(bool *)f = v != 0;
        else if (k->size == sizeof(int64_t))
                *(int64_t *)f = v;
        else
                *(int *)f = (int)v;
}

void
config_apply_defaults(void *base, bool per_store)
{
        for (size_t i = 0; i < config_nkeys; i++) {
                const struct config_key *k = &config_keys[i];
                if (config_sections[k->section].per_store != per_store)
                        continue;
                if (k->type == CONFIG_T_INT || k->type == CONFIG_T_BOOL) {
                        set_int(k, base, k->def_int);
                } else if (k->flags & CONFIG_K_HOSTNAME) {
                        char host[256] = "";
                        if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
                                snprintf(host, sizeof(host), "qpayd-executor");
                        *config_key_str(k, base) = config_xstrdup(host);
                } else if (k->def_str != NULL) {
                        *config_key_str(k, base) = config_xstrdup(k->def_str);
                }
        }
}

/* Splits a value inih has trimmed: a "quoted string" with its escapes
 * resolved, or a bare word; a # comment after either is dropped. Returns NULL
 * and a malloc'd *out, or a static reason. */
static const char *
lex_value(const char *raw, bool *quoted, char **out)
{
        *quoted = raw[0] == '"';
        if (!*quoted) {
                const char *hash = strchr(raw, '#');
                size_t n = hash ? (size_t)(hash - raw) : strlen(raw);
                while (n > 0 && isspace((unsigned char)raw[n - 1]))
                        n--;
                if (n == 0)
                        return "missing value";
                *out = config_xrealloc(NULL, n + 1);
                memcpy(*out, raw, n);
                (*out)[n] = '\0';
                return NULL;
        }
        char *buf = config_xrealloc(NULL, strlen(raw));
        size_t j = 0;
        const char *s = raw + 1;
        const char *why = NULL;
        for (; *s != '"' && why == NULL; s++) {
                if (*s == '\0' || (s[0] == '\\' && s[1] == '\0'))
                        why = "unterminated string (missing closing \")";
                else if (*s != '\\')
                        buf[j++] = *s;
                else if (strchr("\"\\nt", *++s) == NULL)
                        why = "unsupported escape in string (only \\\" \\\\ \\n \\t)";
                else
                        buf[j++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        }
        if (why == NULL) {
                s += 1 + strspn(s + 1, " \t");
                if (*s != '\0' && *s != '#')
                        why = "unexpected text after the closing quote";
        }
        if (why != NULL) {
                free(buf);
                return why;
        }
        buf[j] = '\0';
        *out = buf;
        return NULL;
}

/* Bare integer with optional sign and _ between digits; no overflow. */
static bool
parse_int(const char *s, int64_t *out, bool *overflow)
{
        bool neg = *s == '-';
        uint64_t v = 0;
        *overflow = false;
        if (*s == '-' || *s == '+')
                s++;
        if (!isdigit((unsigned char)*s))
                return false;
        for (; *s; s++) {
                if (*s == '_' && isdigit((unsigned char)s[-1]) && isdigit((unsigned char)s[1]))
                        continue;
                if (!isdigit((unsigned char)*s))
                        return false;
                if (v > (UINT64_MAX - 9) / 10)
                        *overflow = true;
                else
                        v = v * 10 + (uint64_t)(*s - '0');
        }
        /* -2^63 fits, +2^63 does not; nothing is negated that cannot be. */
        uint64_t limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);
        if (v > limit)
                *overflow = true;
        else if (neg)
                *out = v == limit ? INT64_MIN : -(int64_t)v;
        else
                *out = (int64_t)v;
        return true;
}

/* Reports a string value not in k->choices. */
static void
bad_choice(struct config_parse *p, const struct config_key *k, const char *value)
{
        char list[256];
        size_t used = 0;
        list[0] = '\0';
        for (const char *const *c = k->choices; *c && used < sizeof(list); c++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
                                         c == k->choices ? ""
                                         : c[1]          ? ", "
                                                         : " or ",
                                         *c);
        config_parse_error(p, p->lineno, config_sections[k->section].written, k->name,
                           "\"%s\" is not %s%s", value, k->choices[1] ? "one of " : "", list);
}

static bool
in_choices(const char *const *choices, const char *v)
{
        for (; *choices; choices++) {
                if (strcmp(*choices, v) == 0)
                        return true;
        }
        return false;
}

static bool
env_name_ok(const char *v)
{
        return (isalpha((unsigned char)v[0]) || v[0] == '_') &&
               strspn(v, CONFIG_KEY_CHARS) == strlen(v) && strchr(v, '-') == NULL;
}

/* A store id already used by an earlier store: the line of that id, or 0. */
static int
earlier_id_line(struct config_parse *p, const char *id)
{
        int row = config_key_find(CONFIG_S_STORE, "id");
        for (size_t i = 0; i + 1 < p->cfg->nstores; i++) {
                if (p->cfg->stores[i].id != NULL && strcmp(p->cfg->stores[i].id, id) == 0)
                        return p->meta[i].key_line[row];
        }
        return 0;
}

void
config_set_value(struct config_parse *p, const struct config_key *k, void *base, const char *raw)
{
        const char *sec = config_sections[k->section].written;
        const char *why;
        char *text = NULL;
        bool quoted, overflow;
        int64_t v;

        if ((why = lex_value(raw, &quoted, &text)) != NULL)
                goto bad;
        if (k->type == CONFIG_T_INT) {
                if (quoted)
                        why = "expected an integer, not a quoted string";
                else if (!parse_int(text, &v, &overflow))
                        why = "expected an integer";
                else if (overflow || v < k->min || v > k->max)
                        config_parse_error(p, p->lineno, sec, k->name,
                                           "%s is out of range (%lld..%lld)", text,
                                           (long long)k->min, (long long)k->max);
                else
                        set_int(k, base, v);
        } else if (k->type == CONFIG_T_BOOL) {
                if (quoted)
                        why = "expected true or false, not a quoted string";
                else if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
                        why = "expected true or false";
                else
                        set_int(k, base, strcmp(text, "true") == 0);
        } else if (!quoted) {
                why = k->type == CONFIG_T_ENV ? "expected a quoted variable name, e.g. \"NAME\""
                                              : "expected a quoted string";
        } else if (text[0] == '\0' && !(k->flags & CONFIG_K_EMPTY_OK)) {
                why = "must not be empty";
        } else if (k->type == CONFIG_T_ENV && !env_name_ok(text)) {
                why = "is not an environment variable name (letters, digits and _)";
        } else if (k->choices != NULL && !in_choices(k->choices, text)) {
                bad_choice(p, k, text);
        } else if (k->check != NULL && (why = k->check(text)) != NULL) {
                /* reported below */
        } else if (k->section == CONFIG_S_STORE && strcmp(k->name, "id") == 0 &&
                   earlier_id_line(p, text) != 0) {
                config_parse_error(p, p->lineno, sec, k->name,
                                   "duplicate store id \"%s\" (first on line %d)", text,
                                   earlier_id_line(p, text));
        } else {
                char **field = config_key_str(k, base);
                free(*field);
                *field = text;
                text = NULL;
        }
bad:
        if (why != NULL)
                config_parse_error(p, p->lineno, sec, k->name, "%s", why);
        free(text);
}

void
config_free_fields(void *base, bool per_store)
{
        for (size_t i = 0; i < config_nkeys; i++) {
                const struct config_key *k = &config_keys[i];
                if (config_sections[k->section].per_store != per_store)
                        continue;
                if (k->type == CONFIG_T_STRING || k->type == CONFIG_T_ENV)
                        free(*config_key_str(k, base));
                if (k->type == CONFIG_T_ENV && k->secret_offset != CONFIG_NO_OFFSET)
                        config_secret_free(*config_key_secret(k, base));
        }
}

static const char *const type_doc[] = {
    [CONFIG_T_STRING] = "string",
    [CONFIG_T_INT] = "integer",
    [CONFIG_T_BOOL] = "bool",
    [CONFIG_T_ENV] = "env var name",
};

static void
print_default(FILE *out, const struct config_key *k)
{
        if (k->flags & CONFIG_K_HOSTNAME)
                fputs("host name", out);
        else if (k->flags & CONFIG_K_AUTH_FALLBACK)
                fprintf(out, "`[auth]` %s", k->name);
        else if (k->type == CONFIG_T_INT && (k->flags & CONFIG_K_UNSET))
                fputs("unset (no limit)", out);
        else if (k->type == CONFIG_T_INT)
                fprintf(out, "%lld", (long long)k->def_int);
        else if (k->type == CONFIG_T_BOOL)
                fputs(k->def_int ? "true" : "false", out);
        else if (k->def_str != NULL)
                fprintf(out, "`\"%s\"`", k->def_str);
        else
                fputs("—", out);
}

static void
print_bounds(FILE *out, const struct config_key *k)
{
        if (k->type == CONFIG_T_INT) {
                fprintf(out, "%lld..%lld", (long long)k->min, (long long)k->max);
        } else if (k->choices != NULL) {
                for (const char *const *c = k->choices; *c; c++)
                        fprintf(out, "%s`%s`", c == k->choices ? "" : ", ", *c);
        } else if (k->bounds_doc != NULL) {
                fputs(k->bounds_doc, out);
        } else if (k->type == CONFIG_T_ENV) {
                fputs("`[A-Za-z_][A-Za-z0-9_]*`", out);
        } else if (k->type == CONFIG_T_BOOL) {
                fputs("`true`, `false`", out);
        } else {
                fputs("non-empty", out);
        }
}

static const char *
progs_doc(unsigned flags)
{
        switch (flags & (CONFIG_K_API | CONFIG_K_EXECUTOR)) {
        case CONFIG_K_API:
                return "qpayd";
        case CONFIG_K_EXECUTOR:
                return "qpayd-executor";
        default:
                return "both";
        }
}

static void
print_notes(FILE *out, const struct config_key *k)
{
        const char *notes[6];
        int n = 0;
        if (k->flags & CONFIG_K_SECRET)
                notes[n++] = k->flags & CONFIG_K_PAYOUT
                                 ? "secret; **payout credential**; an error in qpayd's file"
                                 : "secret";
        if (k->flags & CONFIG_K_REQUIRED)
                notes[n++] = "required";
        if (k->flags & CONFIG_K_EXEC_REQUIRED)
                notes[n++] = "required by qpayd-executor";
        char only[64];
        if (k->backend != NULL) {
                snprintf(only, sizeof(only), "backend `%s` only", k->backend);
                notes[n++] = only;
        }
        if (k->help != NULL)
                notes[n++] = k->help;
        for (int i = 0; i < n; i++)
                fprintf(out, "%s%s", i ? "; " : "", notes[i]);
}

void
config_print_reference(FILE *out)
{
        fputs("| section | key | type | default | bounds | read by | notes |\n"
              "| --- | --- | --- | --- | --- | --- | --- |\n",
              out);
        for (size_t i = 0; i < config_nkeys; i++) {
                const struct config_key *k = &config_keys[i];
                fprintf(out, "| `%s` | `%s` | %s | ", config_sections[k->section].written, k->name,
                        type_doc[k->type]);
                print_default(out, k);
                fputs(" | ", out);
                print_bounds(out, k);
                fprintf(out, " | %s | ", progs_doc(k->flags));
                print_notes(out, k);
                fputs(" |\n", out);
        }
}
