/* qpayd.toml: the reference snippets and the design example load unchanged;
 * every mistake is reported with file:line, and each program reads only the
 * secrets it uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"

extern char **environ;

#define API  CONFIG_PROG_API
#define EXEC CONFIG_PROG_EXECUTOR

/* DESIGN.md, section Configuration, verbatim. */
static const char design_example[] =
    "[database]\n"
    "url_env = \"QPAYD_DATABASE_URL\"\n"
    "\n"
    "[server]                       # qpayd only\n"
    "listen = \"127.0.0.1:8080\"\n"
    "workers = 4\n"
    "public_url = \"https://pay.example.com\"   # where phoenixd webhooks reach qpayd\n"
    "\n"
    "[executor]                     # qpayd-executor only\n"
    "name = \"wallet-1\"              # shown in heartbeats and events\n"
    "request_timeout_seconds = 60   # a backend call longer than this is an unknown outcome\n"
    "reconcile_after_seconds = 300  # processing refunds older than this are looked up\n"
    "\n"
    "[auth]                         # defaults for every store\n"
    "api_token_env = \"QPAYD_API_TOKEN\"\n"
    "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n"
    "payout_token_env = \"QPAYD_PAYOUT_TOKEN\"\n"
    "\n"
    "[[stores]]\n"
    "id = \"main\"\n"
    "network = \"mainnet\"            # mainnet | testnet | signet | regtest\n"
    "admin_token_env = \"QPAYD_MAIN_ADMIN_TOKEN\"\n"
    "payout_token_env = \"QPAYD_MAIN_PAYOUT_TOKEN\"\n"
    "admin_token_can_payout = false\n"
    "refund_window_days = 90\n"
    "confirmations_required = 1     # on-chain payments credited at this depth\n"
    "auto_refund_overpayment = false\n"
    "\n"
    "[stores.lightning]             # receive with limited credentials (qpayd)\n"
    "backend = \"phoenixd\"\n"
    "url = \"http://127.0.0.1:9740\"\n"
    "limited_api_password_env = \"QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD\"\n"
    "webhook_secret_env = \"QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET\"\n"
    "poll_seconds = 10              # checks open invoices too: phoenixd never retries a webhook\n"
    "\n"
    "[stores.bitcoin]               # receive with a watch-only descriptor wallet (qpayd)\n"
    "backend = \"bitcoind\"\n"
    "url = \"http://127.0.0.1:8332\"\n"
    "wallet = \"watch\"\n"
    "rpc_auth_env = \"QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH\"\n"
    "poll_seconds = 10\n"
    "\n"
    "[stores.lightning_payout]      # payout credentials: qpayd-executor only\n"
    "backend = \"phoenixd\"           # or \"barkd\"\n"
    "url = \"http://127.0.0.1:9740\"\n"
    "full_api_password_env = \"QPAYD_LIGHTNING_REFUND_PASSWORD\"\n"
    "\n"
    "[stores.lightning_payout.refunds]   # refund policy: read by both programs\n"
    "enabled = true\n"
    "max_refund_sats = 100000\n"
    "daily_refund_limit_sats = 500000\n"
    "manual_approval_threshold_sats = 250000\n"
    "poll_seconds = 30\n"
    "\n"
    "[stores.bitcoin_payout]\n"
    "backend = \"bitcoind\"\n"
    "url = \"http://127.0.0.1:8332\"\n"
    "wallet = \"refunds\"\n"
    "rpc_auth_env = \"QPAYD_BITCOIN_REFUND_RPC_AUTH\"\n"
    "\n"
    "[stores.bitcoin_payout.refunds]\n"
    "enabled = true\n"
    "max_refund_sats = 100000\n"
    "daily_refund_limit_sats = 500000\n"
    "manual_approval_threshold_sats = 250000\n"
    "poll_seconds = 30\n";

/* Reference documentation: per-store payout token override, verbatim. */
static const char snippet_auth[] = "[auth]\n"
                                   "payout_token_env = \"QPAYD_PAYOUT_TOKEN\"\n"
                                   "\n"
                                   "[[stores]]\n"
                                   "id = \"main\"\n"
                                   "payout_token_env = \"QPAYD_MAIN_PAYOUT_TOKEN\"\n";

/* Reference documentation: admin_token_can_payout, verbatim. */
static const char snippet_can_payout[] = "[[stores]]\n"
                                         "id = \"main\"\n"
                                         "admin_token_env = \"QPAYD_MAIN_ADMIN_TOKEN\"\n"
                                         "payout_token_env = \"QPAYD_MAIN_PAYOUT_TOKEN\"\n"
                                         "admin_token_can_payout = true\n";

/* Reference documentation, "Refund Execution Config", with PORT filled in. */
static const char snippet_refunds[] =
    "[stores.lightning_payout]\n"
    "backend = \"phoenixd\" # or \"barkd\"\n"
    "url = \"http://127.0.0.1:9740\"\n"
    "full_api_password_env = \"QPAYD_LIGHTNING_REFUND_PASSWORD\"\n"
    "\n"
    "[stores.lightning_payout.refunds]\n"
    "enabled = true\n"
    "max_refund_sats = 100000\n"
    "daily_refund_limit_sats = 500000\n"
    "manual_approval_threshold_sats = 250000\n"
    "poll_seconds = 30\n"
    "\n"
    "[stores.bitcoin_payout]\n"
    "backend = \"bitcoind\"\n"
    "url = \"http://127.0.0.1:8332\"\n"
    "wallet = \"refunds\"\n"
    "rpc_auth_env = \"QPAYD_BITCOIN_REFUND_RPC_AUTH\"\n"
    "\n"
    "[stores.bitcoin_payout.refunds]\n"
    "enabled = true\n"
    "max_refund_sats = 100000\n"
    "daily_refund_limit_sats = 500000\n"
    "manual_approval_threshold_sats = 250000\n"
    "poll_seconds = 30\n";

static const char db_only[] = "[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n\n";

/* Every test starts from an environment without any QPAYD_ variable. */
static int
clean_env(void **state)
{
        (void)state;
        for (;;) {
                char name[256] = "";
                for (char **e = environ; *e != NULL; e++) {
                        if (strncmp(*e, "QPAYD_", 6) == 0) {
                                size_t n = strcspn(*e, "=");
                                snprintf(name, sizeof(name), "%.*s", (int)n, *e);
                                break;
                        }
                }
                if (name[0] == '\0')
                        break;
                unsetenv(name);
        }
        unsetenv("CREDENTIALS_DIRECTORY");
        setenv("QPAYD_DATABASE_URL", "postgresql://qpayd@127.0.0.1/qpayd", 1);
        return 0;
}

static void
set_tokens(void)
{
        setenv("QPAYD_API_TOKEN", "tok-api-canary-111", 1);
        setenv("QPAYD_ADMIN_TOKEN", "tok-admin-canary-222", 1);
        setenv("QPAYD_PAYOUT_TOKEN", "tok-payout-canary-333", 1);
        setenv("QPAYD_MAIN_ADMIN_TOKEN", "tok-main-admin-canary-444", 1);
        setenv("QPAYD_MAIN_PAYOUT_TOKEN", "tok-main-payout-canary-555", 1);
        setenv("QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD", "limited-canary-666", 1);
        setenv("QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET", "webhook-canary-777", 1);
        setenv("QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH", "watch:canary-888", 1);
}

static void
set_payout(void)
{
        setenv("QPAYD_LIGHTNING_REFUND_PASSWORD", "full-canary-999", 1);
        setenv("QPAYD_BITCOIN_REFUND_RPC_AUTH", "refunds:canary-000", 1);
}

/* The read-only receive credentials, which the executor also reads to
 * verify invoice payments. */
static void
set_receive(void)
{
        setenv("QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD", "limited-canary-666", 1);
        setenv("QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH", "watch:canary-888", 1);
}

static char *
join(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b);
        char *s = malloc(na + nb + 1);
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
        return s;
}

/* The public server's copy of a file: text without its payout credential
 * key lines (full_api_password_env, token_env, and rpc_auth_env of a payout
 * table), the split layout of deploy/qpayd.example.toml. Caller frees. */
static char *
public_copy(const char *text)
{
        char *out = malloc(strlen(text) + 1), *o = out;
        bool payout = false;
        for (const char *l = text; *l != '\0';) {
                size_t n = strcspn(l, "\n");
                n += l[n] == '\n';
                if (*l == '[')
                        payout = strncmp(l, "[stores.lightning_payout]", 25) == 0 ||
                                 strncmp(l, "[stores.bitcoin_payout]", 23) == 0;
                bool drop = strncmp(l, "full_api_password_env", 21) == 0 ||
                            strncmp(l, "token_env", 9) == 0 ||
                            (payout && strncmp(l, "rpc_auth_env", 12) == 0);
                if (!drop) {
                        memcpy(o, l, n);
                        o += n;
                }
                l += n;
        }
        *o = '\0';
        return out;
}

static void
print_errors(const struct config_errors *errs)
{
        for (size_t i = 0; i < errs->count; i++)
                fprintf(stderr, "  %s\n", errs->items[i]);
}

static struct config *
load_ok(const char *text, enum config_program prog)
{
        struct config *cfg = NULL;
        struct config_errors errs = {0};
        int rc = config_load_string(text, "t.toml", prog, &cfg, &errs);
        if (rc != 0)
                print_errors(&errs);
        assert_int_equal(rc, 0);
        assert_int_equal(errs.count, 0);
        assert_non_null(cfg);
        config_errors_free(&errs);
        return cfg;
}

/* Loads text, expects failure with exactly n errors. */
static struct config_errors
load_bad(const char *text, enum config_program prog, size_t n)
{
        struct config *cfg = (struct config *)1;
        struct config_errors errs = {0};
        int rc = config_load_string(text, "t.toml", prog, &cfg, &errs);
        if (errs.count != n)
                print_errors(&errs);
        assert_int_equal(rc, -1);
        assert_null(cfg);
        assert_int_equal(errs.count, n);
        return errs;
}

/* Expects text to fail with exactly one error, equal to want. */
static void
expect_one(const char *text, enum config_program prog, const char *want)
{
        struct config_errors errs = load_bad(text, prog, 1);
        assert_string_equal(errs.items[0], want);
        config_errors_free(&errs);
}

/* Expects one error that starts with prefix and contains part. */
static void
expect_like(const char *text, enum config_program prog, const char *prefix, const char *part)
{
        struct config_errors errs = load_bad(text, prog, 1);
        if (strncmp(errs.items[0], prefix, strlen(prefix)) != 0 ||
            strstr(errs.items[0], part) == NULL)
                fail_msg("got \"%s\", want \"%s...%s...\"", errs.items[0], prefix, part);
        config_errors_free(&errs);
}

static bool
errors_mention(const struct config_errors *errs, const char *needle)
{
        for (size_t i = 0; i < errs->count; i++) {
                if (strstr(errs->items[i], needle) != NULL)
                        return true;
        }
        return false;
}

/* A minimal valid qpayd config: one store, one token. */
#define MINIMAL                                                                                    \
        "[database]\n"                                                                             \
        "url_env = \"QPAYD_DATABASE_URL\"\n"                                                       \
        "[auth]\n"                                                                                 \
        "api_token_env = \"QPAYD_API_TOKEN\"\n"                                                    \
        "[[stores]]\n"                                                                             \
        "id = \"main\"\n"
/* MINIMAL has 6 lines: what is appended starts on line 7. */

/* ---- the documents, unchanged ---- */

static void
test_design_example_qpayd(void **state)
{
        (void)state;
        set_tokens();
        /* qpayd's file is the example without the payout credential keys
         * (test_qpayd_refuses_payout_credential_keys has them). */
        char *text = public_copy(design_example);
        struct config *cfg = load_ok(text, API);
        free(text);
        assert_string_equal(cfg->database_url, "postgresql://qpayd@127.0.0.1/qpayd");
        assert_string_equal(cfg->listen, "127.0.0.1:8080");
        assert_int_equal(cfg->workers, 4);
        assert_string_equal(cfg->public_url, "https://pay.example.com");
        assert_int_equal(cfg->max_body_bytes, 65536);
        assert_int_equal(cfg->timeout_seconds, 30);
        assert_string_equal(cfg->executor_name, "wallet-1");
        assert_int_equal(cfg->request_timeout_seconds, 60);
        assert_int_equal(cfg->reconcile_after_seconds, 300);
        assert_int_equal(cfg->nstores, 1);
        const struct config_store *st = config_store_find(cfg, "main");
        assert_non_null(st);
        assert_int_equal(st->line, 19);
        assert_string_equal(st->network, "mainnet");
        assert_string_equal(st->api_token_env, "QPAYD_API_TOKEN"); /* from [auth] */
        assert_string_equal(st->admin_token_env, "QPAYD_MAIN_ADMIN_TOKEN");
        assert_string_equal(st->payout_token_env, "QPAYD_MAIN_PAYOUT_TOKEN");
        assert_string_equal(st->api_token, "tok-api-canary-111");
        assert_string_equal(st->admin_token, "tok-main-admin-canary-444");
        assert_string_equal(st->payout_token, "tok-main-payout-canary-555");
        assert_false(st->admin_token_can_payout);
        assert_int_equal(st->refund_window_days, 90);
        assert_int_equal(st->confirmations_required, 1);
        assert_false(st->auto_refund_overpayment);
        assert_true(st->lightning.present);
        assert_string_equal(st->lightning.backend, "phoenixd");
        assert_string_equal(st->lightning.url, "http://127.0.0.1:9740");
        assert_string_equal(st->lightning.limited_api_password, "limited-canary-666");
        assert_string_equal(st->lightning.webhook_secret, "webhook-canary-777");
        assert_int_equal(st->lightning.poll_seconds, 10);
        assert_string_equal(st->bitcoin.wallet, "watch");
        assert_string_equal(st->bitcoin.rpc_auth, "watch:canary-888");
        /* The payout tables without their credential keys: no credential. */
        assert_true(st->lightning_payout.present);
        assert_null(st->lightning_payout.full_api_password_env);
        assert_null(st->lightning_payout.full_api_password);
        assert_null(st->bitcoin_payout.rpc_auth);
        const struct config_refunds *r = &st->lightning_payout.refunds;
        assert_true(r->present);
        assert_true(r->enabled);
        assert_int_equal(r->max_refund_sats, 100000);
        assert_int_equal(r->daily_refund_limit_sats, 500000);
        assert_int_equal(r->manual_approval_threshold_sats, 250000);
        assert_int_equal(r->poll_seconds, 30);
        assert_int_equal(r->line, 47); /* one line dropped above it */
        assert_true(st->bitcoin_payout.refunds.enabled);
        assert_string_equal(st->bitcoin_payout.wallet, "refunds");
        config_free(cfg);
}

static void
test_design_example_executor(void **state)
{
        (void)state;
        set_payout();
        set_receive();
        struct config *cfg = load_ok(design_example, EXEC);
        const struct config_store *st = config_store_find(cfg, "main");
        assert_string_equal(st->lightning_payout.full_api_password, "full-canary-999");
        assert_string_equal(st->bitcoin_payout.rpc_auth, "refunds:canary-000");
        assert_null(st->lightning_payout.token);
        /* Tokens and the webhook secret are not the executor's; the read-only
         * receive credentials are (it verifies payments with them). */
        assert_null(st->api_token);
        assert_null(st->admin_token);
        assert_null(st->payout_token);
        assert_null(st->lightning.webhook_secret);
        assert_string_equal(st->lightning.limited_api_password, "limited-canary-666");
        assert_string_equal(st->bitcoin.rpc_auth, "watch:canary-888");
        assert_int_equal(st->confirmations_required, 1);
        config_free(cfg);
}

static void
test_snippet_payout_token_override(void **state)
{
        (void)state;
        setenv("QPAYD_MAIN_PAYOUT_TOKEN", "main-payout", 1);
        char *text = join(db_only, snippet_auth);
        struct config *cfg = load_ok(text, API);
        const struct config_store *st = config_store_find(cfg, "main");
        assert_string_equal(st->payout_token_env, "QPAYD_MAIN_PAYOUT_TOKEN");
        assert_string_equal(st->payout_token, "main-payout");
        assert_null(st->api_token_env);
        assert_null(st->admin_token_env);
        assert_string_equal(cfg->auth_payout_token_env, "QPAYD_PAYOUT_TOKEN");
        config_free(cfg);
        free(text);
}

static void
test_snippet_admin_token_can_payout(void **state)
{
        (void)state;
        /* One operator token for both roles: allowed by the flag. */
        setenv("QPAYD_MAIN_ADMIN_TOKEN", "one-operator-token", 1);
        setenv("QPAYD_MAIN_PAYOUT_TOKEN", "one-operator-token", 1);
        char *text = join(db_only, snippet_can_payout);
        struct config *cfg = load_ok(text, API);
        assert_true(config_store_find(cfg, "main")->admin_token_can_payout);
        config_free(cfg);
        free(text);
}

static void
test_snippet_refund_execution(void **state)
{
        (void)state;
        set_tokens();
        char *text = join(MINIMAL "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n\n", snippet_refunds);
        /* qpayd: the snippet without its credential keys (policy only). */
        char *pub = public_copy(text);
        struct config *cfg = load_ok(pub, API);
        free(pub);
        const struct config_store *st = &cfg->stores[0];
        assert_null(st->lightning_payout.full_api_password);
        assert_int_equal(st->bitcoin_payout.refunds.manual_approval_threshold_sats, 250000);
        config_free(cfg);
        /* As written, with its credential keys, it is qpayd-executor's. */
        struct config_errors errs = load_bad(text, API, 2);
        assert_true(errors_mention(&errs, "t.toml:12: [stores.lightning_payout] "
                                          "full_api_password_env: a payout credential key"));
        assert_true(errors_mention(&errs, "t.toml:25: [stores.bitcoin_payout] rpc_auth_env: "
                                          "a payout credential key"));
        config_errors_free(&errs);
        set_payout();
        cfg = load_ok(text, EXEC);
        st = &cfg->stores[0];
        assert_string_equal(st->lightning_payout.backend, "phoenixd");
        assert_string_equal(st->lightning_payout.full_api_password, "full-canary-999");
        assert_string_equal(st->bitcoin_payout.url, "http://127.0.0.1:8332");
        assert_string_equal(st->bitcoin_payout.rpc_auth, "refunds:canary-000");
        config_free(cfg);
        free(text);
}

static void
test_defaults(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL, API);
        assert_string_equal(cfg->database_url_env, "QPAYD_DATABASE_URL");
        assert_string_equal(cfg->listen, "127.0.0.1:8080");
        assert_int_equal(cfg->workers, 4);
        assert_null(cfg->public_url);
        assert_int_equal(cfg->max_body_bytes, 65536);
        assert_int_equal(cfg->timeout_seconds, 30);
        assert_non_null(cfg->executor_name); /* the host name */
        assert_true(cfg->executor_name[0] != '\0');
        assert_int_equal(cfg->request_timeout_seconds, 60);
        assert_int_equal(cfg->reconcile_after_seconds, 300);
        assert_int_equal(cfg->max_in_flight, 8);
        const struct config_store *st = &cfg->stores[0];
        assert_string_equal(st->network, "mainnet");
        assert_int_equal(st->refund_window_days, 0);
        assert_int_equal(st->confirmations_required, 1);
        assert_false(st->lightning.present);
        assert_false(st->lightning_payout.refunds.present);
        assert_false(st->lightning_payout.refunds.enabled);
        assert_int_equal(st->lightning_payout.refunds.max_refund_sats, -1);
        assert_int_equal(st->lightning_payout.refunds.daily_refund_limit_sats, -1);
        assert_int_equal(st->lightning_payout.refunds.manual_approval_threshold_sats, -1);
        assert_int_equal(st->lightning_payout.refunds.poll_seconds, 30);
        assert_null(config_store_find(cfg, "other"));
        config_free(cfg);
}

/* ---- [server] dashboard_path: a path of its own, or "" for none ---- */

static void
test_dashboard_path(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL, API);
        assert_string_equal(cfg->dashboard_path, "/dashboard/");
        config_free(cfg);
        cfg = load_ok("[server]\ndashboard_path = \"\"\n" MINIMAL, API);
        assert_string_equal(cfg->dashboard_path, "");
        config_free(cfg);
        cfg = load_ok("[server]\ndashboard_path = \"/ops/shop-1/\"\n" MINIMAL, API);
        assert_string_equal(cfg->dashboard_path, "/ops/shop-1/");
        config_free(cfg);
        static const char *const bad[] = {"/dashboard", "dashboard/", "/",     "/a//b/",
                                          "/a/../b/",   "/v1/dash/",  "/a b/", "/a?x/"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char text[256];
                snprintf(text, sizeof(text), "[server]\ndashboard_path = \"%s\"\n" MINIMAL, bad[i]);
                struct config_errors errs = load_bad(text, API, 1);
                assert_non_null(strstr(errs.items[0], "t.toml:2: [server] dashboard_path: "));
                config_errors_free(&errs);
        }
        /* "" stays an error for every other string key */
        struct config_errors errs = load_bad("[server]\nlisten = \"\"\n" MINIMAL, API, 1);
        assert_non_null(strstr(errs.items[0], "must not be empty"));
        config_errors_free(&errs);
}

/* ---- several mistakes, all reported, in file order ---- */

static void
test_three_mistakes_three_errors(void **state)
{
        (void)state;
        set_tokens();
        struct config_errors errs = load_bad("[database]\n"
                                             "url_env = \"QPAYD_DATABASE_URL\"\n"
                                             "\n"
                                             "[server]\n"
                                             "workers = many\n" /* 5 */
                                             "listen = \"127.0.0.1:8080\"\n"
                                             "colour = \"blue\"\n" /* 7 */
                                             "\n"
                                             "[auth]\n"
                                             "api_token_env = \"QPAYD_API_TOKEN\"\n"
                                             "\n"
                                             "[[stores]]\n"
                                             "id = \"main\"\n"
                                             "network = \"moonnet\"\n", /* 14 */
                                             API, 3);
        assert_string_equal(errs.items[0], "t.toml:5: [server] workers: expected an integer");
        assert_string_equal(errs.items[1],
                            "t.toml:7: [server] colour: unknown key (known: listen, workers, "
                            "public_url, max_body_bytes, timeout_seconds, "
                            "request_timeout_seconds, max_connections, receive, dashboard_path,"
                            " claim_requests_per_minute)");
        assert_string_equal(errs.items[2],
                            "t.toml:14: [[stores]] network: \"moonnet\" is not one "
                            "of \"mainnet\", \"testnet\", \"signet\" or \"regtest\"");
        config_errors_free(&errs);
}

static void
test_executor_reports_every_error(void **state)
{
        (void)state;
        struct config_errors errs =
            load_bad("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                     "[executor]\nrequest_timeout_seconds = 0\n"
                     "[nonsense]\nkey = 1\n[[stores]]\nid = \"Main Store\"\n",
                     EXEC, 3);
        assert_string_equal(errs.items[0], "t.toml:4: [executor] request_timeout_seconds: 0 is "
                                           "out of range (1..3600)");
        assert_non_null(strstr(errs.items[1], "t.toml:5: [nonsense]: unknown table (known: "));
        assert_string_equal(errs.items[2], "t.toml:8: [[stores]] id: may only contain a-z, 0-9, "
                                           "_ and -, 1 to 64 characters");
        config_errors_free(&errs);
}

static void
test_max_in_flight_bounds(void **state)
{
        (void)state;
        struct config_errors errs =
            load_bad("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                     "[executor]\nmax_in_flight = 0\n[[stores]]\nid = \"main\"\n",
                     EXEC, 1);
        assert_string_equal(errs.items[0],
                            "t.toml:4: [executor] max_in_flight: 0 is out of range (1..256)");
        config_errors_free(&errs);
        errs = load_bad("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                        "[executor]\nmax_in_flight = 257\n[[stores]]\nid = \"main\"\n",
                        EXEC, 1);
        assert_string_equal(errs.items[0],
                            "t.toml:4: [executor] max_in_flight: 257 is out of range (1..256)");
        config_errors_free(&errs);
}

static void
test_errors_sorted_by_line(void **state)
{
        (void)state;
        /* A cross-check (store without a token, line 3) sorts before a
         * syntax error found earlier on line 5. */
        struct config_errors errs =
            load_bad("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n[[stores]]\nid = \"a\"\n"
                     "oops\n",
                     API, 2);
        assert_non_null(strstr(errs.items[0], "t.toml:3: [[stores]]: store \"a\" has no token"));
        assert_string_equal(errs.items[1],
                            "t.toml:5: [[stores]]: expected key = value, [table] or [[stores]]");
        config_errors_free(&errs);
}

/* ---- tables ---- */

static void
test_unknown_section(void **state)
{
        (void)state;
        set_tokens();
        /* Reported once; its keys are not reported again. */
        expect_like(MINIMAL "[stores.lightnin]\nbackend = \"phoenixd\"\nurl = 3\n", API,
                    "t.toml:7: [stores.lightnin]: unknown table (known: [database], ",
                    "[stores.webhooks])");
}

/* [stores.webhooks] (docs/webhooks.md): defaults, the secret resolved by
 * qpayd only, http:// only with allow_private_targets, known event types. */
static void
test_webhooks(void **state)
{
        (void)state;
        set_tokens();
        setenv("QPAYD_MAIN_WEBHOOK_SECRET", "whsec-canary-999", 1);
        const char *ok = MINIMAL "[stores.webhooks]\n"
                                 "url = \"https://shop.example.com/events\"\n"
                                 "secret_env = \"QPAYD_MAIN_WEBHOOK_SECRET\"\n";
        struct config *cfg = load_ok(ok, API);
        const struct config_webhooks *w = &cfg->stores[0].webhooks;
        assert_true(w->present);
        assert_string_equal(w->secret, "whsec-canary-999");
        assert_string_equal(w->events, "*");
        assert_false(w->allow_private_targets);
        assert_int_equal(w->first_retry_seconds, 30);
        config_free(cfg);
        cfg = load_ok(ok, EXEC);
        assert_null(cfg->stores[0].webhooks.secret); /* not the executor's */
        config_free(cfg);
        expect_one(MINIMAL "[stores.webhooks]\n"
                           "url = \"http://shop.example.com/events\"\n"
                           "secret_env = \"QPAYD_MAIN_WEBHOOK_SECRET\"\n",
                   API,
                   "t.toml:8: [stores.webhooks] url: must be https:// (http:// only with "
                   "allow_private_targets = true)");
        cfg = load_ok(MINIMAL "[stores.webhooks]\n"
                              "url = \"http://127.0.0.1:9/events\"\n"
                              "secret_env = \"QPAYD_MAIN_WEBHOOK_SECRET\"\n"
                              "events = \"refund.succeeded, refund.broadcast,payment.refunded\"\n"
                              "allow_private_targets = true\n",
                      API);
        assert_string_equal(cfg->stores[0].webhooks.events,
                            "refund.succeeded, refund.broadcast,payment.refunded");
        config_free(cfg);
        expect_like(MINIMAL "[stores.webhooks]\n"
                            "secret_env = \"QPAYD_MAIN_WEBHOOK_SECRET\"\n"
                            "events = \"refund.succeeded,refund.nonsense\"\n",
                    API, "t.toml:9: [stores.webhooks] events: ", "event types");
        expect_like(MINIMAL "[stores.webhooks]\nurl = \"https://shop.example.com/\"\n", API,
                    "t.toml:7: [stores.webhooks]", "secret_env");
}

static void
test_unknown_array_table(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[[store]]\nid = \"x\"\n", API,
                   "t.toml:7: [[store]]: unknown array of tables (only [[stores]])");
}

static void
test_single_bracket_stores(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[stores]\n", API,
                   "t.toml:7: [stores]: a store starts with [[stores]] (two brackets)");
}

static void
test_store_table_before_stores(void **state)
{
        (void)state;
        set_tokens();
        expect_one("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                   "[stores.lightning]\nbackend = \"phoenixd\"\n"
                   "[auth]\napi_token_env = \"QPAYD_API_TOKEN\"\n[[stores]]\nid = \"main\"\n",
                   API,
                   "t.toml:3: [stores.lightning]: comes before any [[stores]]; a store table "
                   "belongs to the [[stores]] above it");
}

static void
test_store_table_twice(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[stores.lightning_payout.refunds]\nenabled = false\n"
                           "[stores.lightning_payout.refunds]\nenabled = true\n",
                   API,
                   "t.toml:9: [stores.lightning_payout.refunds]: given twice for this store "
                   "(first on line 7)");
}

static void
test_top_table_twice(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[server]\nworkers = 2\n[server]\n", API,
                   "t.toml:9: [server]: given twice (first on line 7)");
}

static void
test_same_table_in_two_stores(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL "[stores.lightning_payout.refunds]\nenabled = true\n"
                                             "[[stores]]\nid = \"second\"\n"
                                             "[stores.lightning_payout.refunds]\nenabled = false\n",
                                     API);
        assert_int_equal(cfg->nstores, 2);
        assert_true(cfg->stores[0].lightning_payout.refunds.enabled);
        assert_false(cfg->stores[1].lightning_payout.refunds.enabled);
        assert_string_equal(cfg->stores[1].api_token_env, "QPAYD_API_TOKEN");
        config_free(cfg);
}

static void
test_unterminated_header(void **state)
{
        (void)state;
        set_tokens();
        /* Also: its keys are skipped, not put into [auth]. */
        expect_one(MINIMAL "[server\nworkers = 0\n", API,
                   "t.toml:7: table header without closing ']'");
}

static void
test_text_after_header(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[server] x\n", API, "t.toml:7: unexpected text after the table header");
}

static void
test_no_stores(void **state)
{
        (void)state;
        expect_one(db_only, API,
                   "t.toml:0: [[stores]]: no store is configured; add a [[stores]] table with an "
                   "id");
}

/* ---- keys ---- */

/* The receive lease is a session lock: under a transaction pooler qpayd
 * needs a direct URL for it, unless this instance does not receive. */
static void
test_pooler_receive_needs_direct_url(void **state)
{
        (void)state;
        set_tokens();
#define POOLED_HEAD "[database]\nurl_env = \"QPAYD_DATABASE_URL\"\npooler = \"transaction\"\n"
#define POOLED_TAIL "[auth]\napi_token_env = \"QPAYD_API_TOKEN\"\n[[stores]]\nid = \"main\"\n"
        expect_like(POOLED_HEAD POOLED_TAIL, API, "t.toml:0: [database] listen_url_env:",
                    "receive = true needs listen_url_env");
        config_free(load_ok(POOLED_HEAD "[server]\nreceive = false\n" POOLED_TAIL, API));
        setenv("QPAYD_TEST_DIRECT_URL", "postgresql://qpayd@127.0.0.1/qpayd", 1);
        config_free(load_ok(POOLED_HEAD "listen_url_env = \"QPAYD_TEST_DIRECT_URL\"\n" POOLED_TAIL,
                            API));
        unsetenv("QPAYD_TEST_DIRECT_URL");
#undef POOLED_HEAD
#undef POOLED_TAIL
}

static void
test_unknown_key(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "colour = \"blue\"\n", API,
                   "t.toml:7: [[stores]] colour: unknown key (known: id, network, api_token_env, "
                   "admin_token_env, payout_token_env, admin_token_can_payout, refund_window_days, "
                   "confirmations_required, fee_warning_percent, auto_refund_overpayment, "
                   "one_refund_in_flight, claim_lifetime_days, "
                   "approval_public_keys, approval_public_keys_file)");
}

static void
test_key_of_another_table(void **state)
{
        (void)state;
        set_tokens();
        expect_like(MINIMAL "[stores.lightning_payout]\nbackend = \"phoenixd\"\n"
                            "url = \"http://x\"\npoll_seconds = 5\n",
                    API, "t.toml:10: [stores.lightning_payout] poll_seconds: unknown key", "url");
}

static void
test_duplicate_key(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network = \"regtest\"\nnetwork = \"signet\"\n", API,
                   "t.toml:8: [[stores]] network: given twice in this table (first on line 7)");
}

static void
test_duplicate_store_id(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[[stores]]\nid = \"main\"\n", API,
                   "t.toml:8: [[stores]] id: duplicate store id \"main\" (first on line 6)");
}

static void
test_missing_store_id(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[[stores]]\nnetwork = \"regtest\"\n", API,
                   "t.toml:7: [[stores]] id: missing (required)");
}

static void
test_key_outside_table(void **state)
{
        (void)state;
        set_tokens();
        expect_one("workers = 4\n" MINIMAL, API,
                   "t.toml:1: workers: outside any table; put it under its [table] header");
}

static void
test_missing_equals(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network \"regtest\"\n", API,
                   "t.toml:7: [[stores]]: expected key = value, [table] or [[stores]]");
}

static void
test_bad_key_name(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "net.work = \"regtest\"\n", API,
                   "t.toml:7: [[stores]]: invalid key name (letters, digits, _ and - only)");
        expect_one(MINIMAL " = \"regtest\"\n", API,
                   "t.toml:7: [[stores]]: missing key name before '='");
}

static void
test_line_too_long(void **state)
{
        (void)state;
        set_tokens();
        char line[2100];
        memset(line, 'x', sizeof(line));
        memcpy(line, "# ", 2);
        line[sizeof(line) - 1] = '\0';
        size_t n = strlen(MINIMAL) + sizeof(line) + 64;
        char *text = malloc(n);
        /* the long line (7) and a mistake after it (8): both reported */
        snprintf(text, n, MINIMAL "%s\nnetwork = 5\n", line);
        struct config_errors errs = load_bad(text, API, 2);
        assert_string_equal(errs.items[0],
                            "t.toml:7: [[stores]]: line too long (more than 1024 characters)");
        assert_string_equal(errs.items[1],
                            "t.toml:8: [[stores]] network: expected a quoted string");
        config_errors_free(&errs);
        free(text);
}

static void
test_indented_lines_are_keys(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg =
            load_ok(MINIMAL "  network = \"regtest\"\n\tconfirmations_required = 3\n", API);
        assert_string_equal(cfg->stores[0].network, "regtest");
        assert_int_equal(cfg->stores[0].confirmations_required, 3);
        config_free(cfg);
}

static void
test_crlf_and_bom(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg =
            load_ok("\xEF\xBB\xBF[database]\r\nurl_env = \"QPAYD_DATABASE_URL\"\r\n"
                    "[auth]\r\napi_token_env = \"QPAYD_API_TOKEN\"\r\n"
                    "[[stores]]\r\nid = \"main\"\r\nnetwork = \"signet\"\r\n",
                    API);
        assert_string_equal(cfg->stores[0].network, "signet");
        config_free(cfg);
}

/* ---- values ---- */

static void
test_bad_integer(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "confirmations_required = 3x\n", API,
                   "t.toml:7: [[stores]] confirmations_required: expected an integer");
        expect_one(MINIMAL "confirmations_required = 1__0\n", API,
                   "t.toml:7: [[stores]] confirmations_required: expected an integer");
        expect_one(MINIMAL "confirmations_required = 0x10\n", API,
                   "t.toml:7: [[stores]] confirmations_required: expected an integer");
}

static void
test_integer_out_of_range(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "confirmations_required = 1001\n", API,
                   "t.toml:7: [[stores]] confirmations_required: 1001 is out of range (0..1000)");
        expect_one(MINIMAL "confirmations_required = -1\n", API,
                   "t.toml:7: [[stores]] confirmations_required: -1 is out of range (0..1000)");
        expect_one(MINIMAL
                   "[stores.bitcoin_payout.refunds]\nmax_refund_sats = 2_100_000_000_000_001\n",
                   API,
                   "t.toml:8: [stores.bitcoin_payout.refunds] max_refund_sats: "
                   "2_100_000_000_000_001 is out of range (0..2100000000000000)");
}

static void
test_integer_overflow(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[stores.bitcoin_payout.refunds]\n"
                           "max_refund_sats = 99999999999999999999999999\n",
                   API,
                   "t.toml:8: [stores.bitcoin_payout.refunds] max_refund_sats: "
                   "99999999999999999999999999 is out of range (0..2100000000000000)");
        expect_like(MINIMAL "[stores.bitcoin_payout.refunds]\n"
                            "max_refund_sats = 9223372036854775808\n",
                    API, "t.toml:8: ", "out of range");
        expect_like(MINIMAL "[stores.bitcoin_payout.refunds]\n"
                            "max_refund_sats = -9223372036854775809\n",
                    API, "t.toml:8: ", "out of range");
}

static void
test_integer_separators_and_comments(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n"
                                             "[stores.lightning_payout.refunds]\n"
                                             "max_refund_sats = 100_000 # one hundred thousand\n"
                                             "daily_refund_limit_sats = 2100000000000000\n"
                                             "manual_approval_threshold_sats = 0#none\n"
                                             "enabled = true   # yes\n",
                                     API);
        const struct config_refunds *r = &cfg->stores[0].lightning_payout.refunds;
        assert_int_equal(r->max_refund_sats, 100000);
        assert_int_equal(r->daily_refund_limit_sats, INT64_C(2100000000000000));
        assert_int_equal(r->manual_approval_threshold_sats, 0);
        assert_true(r->enabled);
        config_free(cfg);
}

static void
test_bad_bool(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "admin_token_can_payout = yes\n", API,
                   "t.toml:7: [[stores]] admin_token_can_payout: expected true or false");
        expect_one(MINIMAL "admin_token_can_payout = True\n", API,
                   "t.toml:7: [[stores]] admin_token_can_payout: expected true or false");
        expect_one(MINIMAL "admin_token_can_payout = \"true\"\n", API,
                   "t.toml:7: [[stores]] admin_token_can_payout: expected true or false, not a "
                   "quoted string");
}

static void
test_quoted_integer(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "refund_window_days = \"90\"\n", API,
                   "t.toml:7: [[stores]] refund_window_days: expected an integer, not a quoted "
                   "string");
}

static void
test_bare_string(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network = regtest\n", API,
                   "t.toml:7: [[stores]] network: expected a quoted string");
        expect_one(MINIMAL "api_token_env = QPAYD_API_TOKEN\n", API,
                   "t.toml:7: [[stores]] api_token_env: expected a quoted variable name, e.g. "
                   "\"NAME\"");
}

static void
test_missing_value(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network =   # nothing\n", API,
                   "t.toml:7: [[stores]] network: missing value");
        expect_one(MINIMAL "network = \"\"\n", API,
                   "t.toml:7: [[stores]] network: must not be empty");
}

static void
test_unterminated_string(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network = \"regtest\n", API,
                   "t.toml:7: [[stores]] network: unterminated string (missing closing \")");
        expect_one(MINIMAL "network = \"regtest\\\n", API,
                   "t.toml:7: [[stores]] network: unterminated string (missing closing \")");
}

static void
test_text_after_closing_quote(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network = \"regtest\" x\n", API,
                   "t.toml:7: [[stores]] network: unexpected text after the closing quote");
}

static void
test_hash_inside_string_kept(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL "[stores.bitcoin]\n"
                                             "backend = \"bitcoind\"   # the only one\n"
                                             "url = \"http://127.0.0.1:8332/#frag\" # comment\n"
                                             "wallet = \"a # b \\\"q\\\" \\\\ \\t\"#c\n",
                                     API);
        const struct config_backend *b = &cfg->stores[0].bitcoin;
        assert_string_equal(b->backend, "bitcoind");
        assert_string_equal(b->url, "http://127.0.0.1:8332/#frag");
        assert_string_equal(b->wallet, "a # b \"q\" \\ \t");
        assert_int_equal(b->line, 7);
        config_free(cfg);
}

static void
test_unsupported_escape(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "network = \"reg\\qtest\"\n", API,
                   "t.toml:7: [[stores]] network: unsupported escape in string (only \\\" \\\\ "
                   "\\n \\t)");
}

static void
test_env_name_checked(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "api_token_env = \"QPAYD-API TOKEN\"\n", API,
                   "t.toml:7: [[stores]] api_token_env: is not an environment variable name "
                   "(letters, digits and _)");
}

static void
test_listen_and_urls(void **state)
{
        (void)state;
        set_tokens();
        struct config *cfg = load_ok(MINIMAL "[server]\nlisten = \"[::1]:8443\"\n", API);
        assert_string_equal(cfg->listen, "[::1]:8443");
        config_free(cfg);
        expect_one(MINIMAL "[server]\nlisten = \"127.0.0.1:0\"\n", API,
                   "t.toml:8: [server] listen: port must be between 1 and 65535");
        expect_one(MINIMAL "[server]\nlisten = \"127.0.0.1:65536\"\n", API,
                   "t.toml:8: [server] listen: port must be between 1 and 65535");
        expect_one(MINIMAL "[server]\nlisten = \"::1:8080\"\n", API,
                   "t.toml:8: [server] listen: an IPv6 address must be written in brackets: "
                   "\"[::1]:8080\"");
        expect_one(MINIMAL "[server]\nlisten = \"localhost\"\n", API,
                   "t.toml:8: [server] listen: must be \"host:port\" (or \"[address]:port\")");
        expect_one(MINIMAL "[server]\npublic_url = \"pay.example.com\"\n", API,
                   "t.toml:8: [server] public_url: must start with http:// or https://");
}

/* ---- backends ---- */

static void
test_backend_values(void **state)
{
        (void)state;
        set_tokens();
        expect_one(MINIMAL "[stores.lightning]\nbackend = \"barkd\"\nurl = \"http://x:1\"\n", API,
                   "t.toml:8: [stores.lightning] backend: \"barkd\" is not \"phoenixd\"");
        expect_one(MINIMAL "[stores.lightning_payout]\nbackend = \"lnd\"\nurl = \"http://x:1\"\n",
                   API,
                   "t.toml:8: [stores.lightning_payout] backend: \"lnd\" is not one of "
                   "\"phoenixd\" or \"barkd\"");
}

static void
test_required_keys(void **state)
{
        (void)state;
        set_tokens();
        struct config_errors errs =
            load_bad(MINIMAL "[stores.bitcoin]\nbackend = \"bitcoind\"\n", API, 2);
        assert_string_equal(errs.items[0], "t.toml:7: [stores.bitcoin] url: missing (required)");
        assert_string_equal(errs.items[1], "t.toml:7: [stores.bitcoin] wallet: missing (required)");
        config_errors_free(&errs);
}

static void
test_key_of_another_backend(void **state)
{
        (void)state;
        set_tokens();
        struct config_errors errs =
            load_bad(MINIMAL "[stores.lightning_payout]\nbackend = \"barkd\"\n"
                             "url = \"http://x:1\"\n"
                             "full_api_password_env = \"QPAYD_X\"\n",
                     API, 2);
        assert_string_equal(errs.items[0],
                            "t.toml:10: [stores.lightning_payout] full_api_password_env: only "
                            "used with backend = \"phoenixd\"");
        /* and qpayd refuses a payout credential key anyway */
        assert_string_equal(errs.items[1],
                            "t.toml:10: [stores.lightning_payout] full_api_password_env: a payout "
                            "credential key has no place in qpayd's configuration; it belongs in "
                            "qpayd-executor's file on the wallet host (qpayd reads only the "
                            "[stores.lightning_payout.refunds] policy)");
        config_errors_free(&errs);
}

static void
test_executor_needs_payout_credential_keys(void **state)
{
        (void)state;
        const char *text = MINIMAL "[stores.lightning_payout]\nbackend = \"barkd\"\n"
                                   "url = \"http://127.0.0.1:3000\"\n"
                                   "[stores.bitcoin_payout]\nbackend = \"bitcoind\"\n"
                                   "url = \"http://127.0.0.1:8332\"\nwallet = \"refunds\"\n";
        struct config_errors errs = load_bad(text, EXEC, 2);
        assert_string_equal(errs.items[0],
                            "t.toml:7: [stores.lightning_payout] token_env: missing; "
                            "qpayd-executor needs it to pay refunds with backend "
                            "\"barkd\"");
        assert_string_equal(errs.items[1], "t.toml:10: [stores.bitcoin_payout] rpc_auth_env: "
                                           "missing; qpayd-executor needs it to pay refunds with "
                                           "backend \"bitcoind\"");
        config_errors_free(&errs);
        /* barkd with its token works */
        setenv("QPAYD_BARKD_TOKEN", "bark-canary", 1);
        struct config *cfg = load_ok(MINIMAL "[stores.lightning_payout]\nbackend = \"barkd\"\n"
                                             "url = \"http://127.0.0.1:3000\"\n"
                                             "token_env = \"QPAYD_BARKD_TOKEN\"\n",
                                     EXEC);
        assert_string_equal(cfg->stores[0].lightning_payout.token, "bark-canary");
        config_free(cfg);
}

static void
test_refunds_policy_only(void **state)
{
        (void)state;
        set_tokens();
        const char *text = MINIMAL "[stores.lightning_payout.refunds]\nenabled = true\n";
        struct config *cfg = load_ok(text, API);
        assert_true(cfg->stores[0].lightning_payout.refunds.enabled);
        assert_false(cfg->stores[0].lightning_payout.present);
        config_free(cfg);
        expect_one(text, EXEC,
                   "t.toml:8: [stores.lightning_payout.refunds] enabled: refunds are enabled but "
                   "store \"main\" has no [stores.lightning_payout] table (backend, url and "
                   "credential)");
        cfg = load_ok(MINIMAL "[stores.lightning_payout.refunds]\nenabled = false\n", EXEC);
        config_free(cfg);
}

/* ---- secrets ---- */

static void
test_missing_secret_names_variable(void **state)
{
        (void)state;
        set_tokens();
        unsetenv("QPAYD_MAIN_ADMIN_TOKEN");
        char *text = public_copy(design_example);
        struct config_errors errs = load_bad(text, API, 1);
        free(text);
        assert_string_equal(errs.items[0],
                            "t.toml:22: [[stores]] admin_token_env: QPAYD_MAIN_ADMIN_TOKEN is not "
                            "set (neither in the environment nor in $CREDENTIALS_DIRECTORY)");
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
}

static void
test_missing_auth_secret_reported_once(void **state)
{
        (void)state;
        const char *text = MINIMAL "[[stores]]\nid = \"second\"\n";
        expect_one(text, API,
                   "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN is not set (neither in the "
                   "environment nor in $CREDENTIALS_DIRECTORY)");
}

static void
test_database_url_required(void **state)
{
        (void)state;
        set_tokens();
        unsetenv("QPAYD_DATABASE_URL");
        expect_one(MINIMAL, API,
                   "t.toml:2: [database] url_env: QPAYD_DATABASE_URL is not set (neither in the "
                   "environment nor in $CREDENTIALS_DIRECTORY)");
        expect_one("[[stores]]\nid = \"main\"\n", EXEC,
                   "t.toml:0: [database] url_env: QPAYD_DATABASE_URL is not set (neither in the "
                   "environment nor in $CREDENTIALS_DIRECTORY)");
        setenv("QPAYD_DATABASE_URL", "", 1);
        expect_one("[[stores]]\nid = \"main\"\n", EXEC,
                   "t.toml:0: [database] url_env: QPAYD_DATABASE_URL is empty");
}

static void
test_userpass_checked(void **state)
{
        (void)state;
        set_tokens();
        setenv("QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH", "no-colon-canary", 1);
        char *text = public_copy(design_example);
        struct config_errors errs = load_bad(text, API, 1);
        free(text);
        assert_string_equal(errs.items[0], "t.toml:40: [stores.bitcoin] rpc_auth_env: "
                                           "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH must hold "
                                           "user:password");
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
}

/* A private credentials directory, like systemd's. */
static char creds_dir[64];

static void
make_creds_dir(void)
{
        snprintf(creds_dir, sizeof(creds_dir), "/tmp/qpayd-creds-XXXXXX");
        assert_non_null(mkdtemp(creds_dir));
        setenv("CREDENTIALS_DIRECTORY", creds_dir, 1);
}

static void
write_cred(const char *name, const char *value, mode_t mode)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", creds_dir, name);
        unlink(path); /* it may be read-only from an earlier write */
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(value, f);
        fclose(f);
        assert_int_equal(chmod(path, mode), 0);
}

static void
remove_creds_dir(void)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", creds_dir);
        assert_int_equal(system(cmd), 0);
        unsetenv("CREDENTIALS_DIRECTORY");
}

static void
test_credentials_dir_preferred(void **state)
{
        (void)state;
        set_tokens();
        make_creds_dir();
        write_cred("QPAYD_API_TOKEN", "from-file\n", 0600);              /* one newline stripped */
        write_cred("QPAYD_DATABASE_URL", "postgresql://file\n\n", 0400); /* only one */
        struct config *cfg = load_ok(MINIMAL, API);
        assert_string_equal(cfg->stores[0].api_token, "from-file");
        assert_string_equal(cfg->database_url, "postgresql://file\n");
        config_free(cfg);
        /* without the file, the environment */
        write_cred("QPAYD_DATABASE_URL", "x", 0600);
        char path[128];
        snprintf(path, sizeof(path), "%s/QPAYD_API_TOKEN", creds_dir);
        unlink(path);
        cfg = load_ok(MINIMAL, API);
        assert_string_equal(cfg->stores[0].api_token, "tok-api-canary-111");
        config_free(cfg);
        remove_creds_dir();
}

static void
test_loose_permissions_refused(void **state)
{
        (void)state;
        set_tokens();
        make_creds_dir();
        write_cred("QPAYD_API_TOKEN", "file-canary\n", 0640);
        expect_one(MINIMAL, API,
                   "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN has a credential file "
                   "readable or writable by group or others (chmod 600)");
        write_cred("QPAYD_API_TOKEN", "file-canary\n", 0602);
        expect_like(MINIMAL, API, "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN", "chmod 600");
        write_cred("QPAYD_API_TOKEN", "\n", 0600);
        expect_one(MINIMAL, API, "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN is empty");
        remove_creds_dir();
}

/* Sets a POSIX ACL on a credential file: the owner reads, user uid reads,
 * the owning group gets group_perm. 0, or -1 when the file system has no
 * ACLs. */
static int
set_acl(const char *name, uint32_t uid, unsigned group_perm)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", creds_dir, name);
        const unsigned tags[5] = {0x01, 0x02, 0x04, 0x10, 0x20};
        const unsigned perms[5] = {4, 4, group_perm, 4 | group_perm, 0};
        const uint32_t ids[5] = {UINT32_MAX, uid, UINT32_MAX, UINT32_MAX, UINT32_MAX};
        unsigned char a[4 + 5 * 8] = {2, 0, 0, 0};
        for (int i = 0; i < 5; i++) {
                unsigned char *e = a + 4 + 8 * i;
                e[0] = (unsigned char)tags[i];
                e[1] = 0;
                e[2] = (unsigned char)perms[i];
                e[3] = 0;
                for (int b = 0; b < 4; b++)
                        e[4 + b] = (unsigned char)(ids[i] >> (8 * b));
        }
        return setxattr(path, "system.posix_acl_access", a, sizeof(a), 0);
}

/* systemd's credential files: 0400 root with an ACL entry for the service's
 * user, so st_mode shows the mask (0440). Accepted when the ACL lets only
 * this process's user read; refused when it lets another user or the group. */
static void
test_systemd_credential_acl(void **state)
{
        (void)state;
        set_tokens();
        make_creds_dir();
        write_cred("QPAYD_API_TOKEN", "from-systemd\n", 0400);
        if (set_acl("QPAYD_API_TOKEN", (uint32_t)geteuid(), 0) != 0) {
                remove_creds_dir();
                skip(); /* no ACLs on this file system */
        }
        struct stat st;
        char path[128];
        snprintf(path, sizeof(path), "%s/QPAYD_API_TOKEN", creds_dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0440); /* the mask shows as the group's bits */
        struct config *cfg = load_ok(MINIMAL, API);
        assert_string_equal(cfg->stores[0].api_token, "from-systemd");
        config_free(cfg);
        /* another user may read it */
        assert_int_equal(set_acl("QPAYD_API_TOKEN", (uint32_t)geteuid() + 4242, 0), 0);
        expect_like(MINIMAL, API, "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN", "chmod 600");
        /* the owning group may read it */
        assert_int_equal(set_acl("QPAYD_API_TOKEN", (uint32_t)geteuid(), 4), 0);
        expect_like(MINIMAL, API, "t.toml:4: [auth] api_token_env: QPAYD_API_TOKEN", "chmod 600");
        remove_creds_dir();
}

static void
test_secret_read_directly(void **state)
{
        (void)state;
        const char *why = NULL;
        assert_null(config_secret_read("QPAYD_NOPE", &why));
        assert_string_equal(why, "is not set (neither in the environment nor in "
                                 "$CREDENTIALS_DIRECTORY)");
        setenv("QPAYD_EMPTY", "", 1);
        assert_null(config_secret_read("QPAYD_EMPTY", &why));
        assert_string_equal(why, "is empty");
        assert_null(config_secret_read("../etc/passwd", &why));
        setenv("QPAYD_SET", "value\n", 1); /* the environment is taken as is */
        char *s = config_secret_read("QPAYD_SET", &why);
        assert_string_equal(s, "value\n");
        config_secret_free(s);
        config_secret_free(NULL);
        make_creds_dir();
        char path[128];
        snprintf(path, sizeof(path), "%s/QPAYD_DIR", creds_dir);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_null(config_secret_read("QPAYD_DIR", &why));
        assert_string_equal(why, "has a credential file that is not a regular file");
        remove_creds_dir();
}

/* ---- the payout-credential guard of qpayd ---- */

#define GUARD_TAIL                                                                                 \
        "it is a payout credential name of the reference documentation, and payout "               \
        "credentials belong to qpayd-executor on the wallet host"

static void
test_guard_names_are_the_reference_names(void **state)
{
        (void)state;
        const char *const *names = config_guard_reserved_names();
        const char *want[] = {"QPAYD_LIGHTNING_REFUND_PASSWORD", "QPAYD_BITCOIN_REFUND_RPC_AUTH",
                              "QPAYD_BARKD_TOKEN"};
        size_t n = 0;
        while (names[n] != NULL)
                n++;
        assert_int_equal(n, 3);
        for (size_t i = 0; i < 3; i++)
                assert_string_equal(names[i], want[i]);
}

static void
test_qpayd_refuses_payout_credential_in_env(void **state)
{
        (void)state;
        /* The shipped split layout: no payout credential key names them,
         * yet the reference names in the environment are refused. */
        set_tokens();
        set_payout();
        char *text = public_copy(design_example);
        struct config_errors errs = load_bad(text, API, 2);
        assert_string_equal(errs.items[0], "t.toml:0: QPAYD_LIGHTNING_REFUND_PASSWORD is set in "
                                           "the environment of qpayd; " GUARD_TAIL);
        assert_string_equal(errs.items[1], "t.toml:0: QPAYD_BITCOIN_REFUND_RPC_AUTH is set in "
                                           "the environment of qpayd; " GUARD_TAIL);
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
        /* Even empty: the variable must not exist there. */
        unsetenv("QPAYD_BITCOIN_REFUND_RPC_AUTH");
        setenv("QPAYD_LIGHTNING_REFUND_PASSWORD", "", 1);
        expect_one(text, API,
                   "t.toml:0: QPAYD_LIGHTNING_REFUND_PASSWORD is set in the environment of "
                   "qpayd; " GUARD_TAIL);
        unsetenv("QPAYD_LIGHTNING_REFUND_PASSWORD");
        setenv("QPAYD_BARKD_TOKEN", "bark-canary", 1);
        expect_one(text, API,
                   "t.toml:0: QPAYD_BARKD_TOKEN is set in the environment of qpayd; " GUARD_TAIL);
        /* With the keys too: each key at its line, each name once. */
        set_payout();
        unsetenv("QPAYD_BARKD_TOKEN");
        errs = load_bad(design_example, API, 4);
        assert_true(errors_mention(&errs, "t.toml:0: QPAYD_LIGHTNING_REFUND_PASSWORD is set"));
        assert_true(errors_mention(&errs, "t.toml:0: QPAYD_BITCOIN_REFUND_RPC_AUTH is set"));
        assert_true(errors_mention(&errs, "t.toml:46: [stores.lightning_payout] "
                                          "full_api_password_env: a payout credential key"));
        assert_true(errors_mention(&errs, "t.toml:59: [stores.bitcoin_payout] rpc_auth_env: "
                                          "a payout credential key"));
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
        free(text);
}

static void
test_qpayd_refuses_payout_credential_file(void **state)
{
        (void)state;
        set_tokens();
        char *text = public_copy(design_example);
        make_creds_dir();
        write_cred("QPAYD_BITCOIN_REFUND_RPC_AUTH", "refunds:canary-000", 0600);
        expect_one(text, API,
                   "t.toml:0: QPAYD_BITCOIN_REFUND_RPC_AUTH is present in qpayd's "
                   "$CREDENTIALS_DIRECTORY; " GUARD_TAIL);
        /* A file qpayd could not even read is refused just the same. */
        write_cred("QPAYD_BITCOIN_REFUND_RPC_AUTH", "refunds:canary-000", 0000);
        expect_like(text, API, "t.toml:0: QPAYD_BITCOIN_REFUND_RPC_AUTH is present", GUARD_TAIL);
        remove_creds_dir();
        free(text);
}

static void
test_qpayd_refuses_payout_credential_keys(void **state)
{
        (void)state;
        /* A payout table with a credential key: refused at file:line:key even
         * though the variable it names is absent. */
        set_tokens();
        struct config_errors errs = load_bad(design_example, API, 2);
        assert_string_equal(errs.items[0],
                            "t.toml:46: [stores.lightning_payout] full_api_password_env: a payout "
                            "credential key has no place in qpayd's configuration; it belongs in "
                            "qpayd-executor's file on the wallet host (qpayd reads only the "
                            "[stores.lightning_payout.refunds] policy)");
        assert_string_equal(errs.items[1],
                            "t.toml:59: [stores.bitcoin_payout] rpc_auth_env: a payout credential "
                            "key has no place in qpayd's configuration; it belongs in "
                            "qpayd-executor's file on the wallet host (qpayd reads only the "
                            "[stores.bitcoin_payout.refunds] policy)");
        config_errors_free(&errs);
        /* barkd's token key too */
        expect_like(MINIMAL "[stores.lightning_payout]\nbackend = \"barkd\"\n"
                            "url = \"http://127.0.0.1:3000\"\ntoken_env = \"QPAYD_SHOP_BARK\"\n",
                    API, "t.toml:10: [stores.lightning_payout] token_env: a payout credential key",
                    "[stores.lightning_payout.refunds] policy");
}

static void
test_qpayd_refuses_named_payout_variable(void **state)
{
        (void)state;
        /* A name outside the fixed list is caught because a payout key names
         * it: both the key and the variable are reported, never the value. */
        set_tokens();
        setenv("QPAYD_SHOP_REFUND_PASSWORD", "shop-canary", 1);
        make_creds_dir();
        write_cred("QPAYD_SHOP_REFUND_AUTH", "shop:canary", 0600);
        struct config_errors errs = load_bad(
            MINIMAL "[stores.lightning_payout]\nbackend = \"phoenixd\"\n"
                    "url = \"http://127.0.0.1:9740\"\n"
                    "full_api_password_env = \"QPAYD_SHOP_REFUND_PASSWORD\"\n"
                    "[stores.bitcoin_payout]\nbackend = \"bitcoind\"\nurl = \"http://x:1\"\n"
                    "wallet = \"refunds\"\nrpc_auth_env = \"QPAYD_SHOP_REFUND_AUTH\"\n",
            API, 4);
        assert_true(errors_mention(&errs, "t.toml:10: [stores.lightning_payout] "
                                          "full_api_password_env: a payout credential key"));
        assert_string_equal(errs.items[1], "t.toml:10: [stores.lightning_payout] "
                                           "full_api_password_env: QPAYD_SHOP_REFUND_PASSWORD is "
                                           "set in the environment of qpayd; payout credentials "
                                           "belong to qpayd-executor on the wallet host");
        assert_true(errors_mention(&errs, "t.toml:15: [stores.bitcoin_payout] rpc_auth_env: "
                                          "a payout credential key"));
        assert_string_equal(errs.items[3], "t.toml:15: [stores.bitcoin_payout] rpc_auth_env: "
                                           "QPAYD_SHOP_REFUND_AUTH is present in qpayd's "
                                           "$CREDENTIALS_DIRECTORY; payout credentials belong to "
                                           "qpayd-executor on the wallet host");
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
        remove_creds_dir();
}

static void
test_qpayd_never_reads_a_reserved_name(void **state)
{
        (void)state;
        /* A receive key or a token naming a reference payout variable is
         * refused, and the variable is not read even when it is set. */
        set_tokens();
        expect_one(MINIMAL "[stores.lightning]\nbackend = \"phoenixd\"\nurl = \"http://x:1\"\n"
                           "limited_api_password_env = \"QPAYD_LIGHTNING_REFUND_PASSWORD\"\n",
                   API,
                   "t.toml:10: [stores.lightning] limited_api_password_env: "
                   "QPAYD_LIGHTNING_REFUND_PASSWORD is a payout credential name of the reference "
                   "documentation; qpayd never reads it: name another variable");
        setenv("QPAYD_BITCOIN_REFUND_RPC_AUTH", "refunds:canary-000", 1);
        struct config_errors errs = load_bad(
            "[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n[auth]\n"
            "api_token_env = \"QPAYD_BITCOIN_REFUND_RPC_AUTH\"\n[[stores]]\nid = \"main\"\n",
            API, 2);
        assert_true(errors_mention(&errs, "t.toml:0: QPAYD_BITCOIN_REFUND_RPC_AUTH is set"));
        assert_string_equal(errs.items[1], "t.toml:4: [auth] api_token_env: "
                                           "QPAYD_BITCOIN_REFUND_RPC_AUTH is a payout credential "
                                           "name of the reference documentation; qpayd never "
                                           "reads it: name another variable");
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);
}

static void
test_executor_unaffected_by_guard(void **state)
{
        (void)state;
        /* qpayd-executor needs exactly what qpayd refuses: the reference
         * names in its environment or credentials directory. */
        set_payout();
        set_receive();
        setenv("QPAYD_BARKD_TOKEN", "bark-canary", 1);
        make_creds_dir();
        write_cred("QPAYD_BITCOIN_REFUND_RPC_AUTH", "refunds:file-canary", 0600);
        struct config *cfg = load_ok(design_example, EXEC);
        assert_string_equal(cfg->stores[0].bitcoin_payout.rpc_auth, "refunds:file-canary");
        assert_string_equal(cfg->stores[0].lightning_payout.full_api_password, "full-canary-999");
        config_free(cfg);
        remove_creds_dir();
}

static void
test_executor_reads_payout_not_tokens(void **state)
{
        (void)state;
        /* Executor side: the tokens and the webhook secret are canaries in
         * its environment; it must leave them unread. */
        set_tokens();
        set_payout();
        struct config *cfg = load_ok(design_example, EXEC);
        const struct config_store *st = &cfg->stores[0];
        assert_null(st->api_token);
        assert_null(st->admin_token);
        assert_null(st->payout_token);
        assert_null(st->lightning.webhook_secret);
        assert_string_equal(st->lightning_payout.full_api_password, "full-canary-999");
        config_free(cfg);
        /* Missing payout credentials are errors for the executor. */
        unsetenv("QPAYD_LIGHTNING_REFUND_PASSWORD");
        unsetenv("QPAYD_BITCOIN_REFUND_RPC_AUTH");
        struct config_errors errs = load_bad(design_example, EXEC, 2);
        assert_true(errors_mention(&errs, "t.toml:46: [stores.lightning_payout] "
                                          "full_api_password_env: QPAYD_LIGHTNING_REFUND_PASSWORD "
                                          "is not set"));
        assert_true(errors_mention(&errs, "t.toml:59: [stores.bitcoin_payout] rpc_auth_env: "
                                          "QPAYD_BITCOIN_REFUND_RPC_AUTH is not set"));
        config_errors_free(&errs);
}

static void
test_executor_does_not_require_tokens(void **state)
{
        (void)state;
        struct config *cfg = load_ok("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n"
                                     "[auth]\napi_token_env = \"QPAYD_API_TOKEN\"\n"
                                     "[[stores]]\nid = \"main\"\n"
                                     "[[stores]]\nid = \"tokenless\"\n",
                                     EXEC);
        assert_int_equal(cfg->nstores, 2);
        assert_null(cfg->stores[0].api_token);
        config_free(cfg);
}

/* ---- tokens ---- */

static void
test_store_without_token(void **state)
{
        (void)state;
        expect_one("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n[[stores]]\nid = \"main\"\n", API,
                   "t.toml:3: [[stores]]: store \"main\" has no token: set api_token_env, "
                   "admin_token_env or payout_token_env in the store or in [auth]");
}

static void
test_token_equality(void **state)
{
        (void)state;
        set_tokens();
        setenv("QPAYD_ADMIN_TOKEN", "tok-api-canary-111", 1); /* same as api */
        struct config_errors errs =
            load_bad(MINIMAL "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n", API, 1);
        assert_string_equal(errs.items[0],
                            "t.toml:5: [[stores]]: store \"main\": the api token (QPAYD_API_TOKEN) "
                            "and the admin token (QPAYD_ADMIN_TOKEN) are the same; give each role "
                            "its own token");
        assert_false(errors_mention(&errs, "canary"));
        config_errors_free(&errs);

        /* admin == payout: only with admin_token_can_payout */
        set_tokens();
        setenv("QPAYD_PAYOUT_TOKEN", "tok-admin-canary-222", 1);
        const char *both = MINIMAL "admin_token_env = \"QPAYD_ADMIN_TOKEN\"\n"
                                   "payout_token_env = \"QPAYD_PAYOUT_TOKEN\"\n";
        expect_one(both, API,
                   "t.toml:5: [[stores]]: store \"main\": the admin token (QPAYD_ADMIN_TOKEN) and "
                   "the payout token (QPAYD_PAYOUT_TOKEN) are the same; give each role its own "
                   "token or set admin_token_can_payout = true");
        char *allowed = join(both, "admin_token_can_payout = true\n");
        struct config *cfg = load_ok(allowed, API);
        config_free(cfg);
        free(allowed);
        /* the same variable for api and payout is never fine */
        expect_like(MINIMAL "payout_token_env = \"QPAYD_API_TOKEN\"\n"
                            "admin_token_can_payout = true\n",
                    API, "t.toml:5: [[stores]]: store \"main\": the api token", "payout token");
}

static void
test_threshold_without_admin_token(void **state)
{
        (void)state;
        set_tokens();
        const char *text = MINIMAL "[stores.bitcoin_payout.refunds]\n"
                                   "manual_approval_threshold_sats = 250000\n";
        expect_one(text, API,
                   "t.toml:8: [stores.bitcoin_payout.refunds] manual_approval_threshold_sats: "
                   "store \"main\" has no admin token to approve refunds above the threshold; set "
                   "admin_token_env in the store or in [auth]");
        /* the executor does not approve anything */
        config_free(load_ok(text, EXEC));
}

/* ---- files and reference ---- */

static void
test_load_file(void **state)
{
        (void)state;
        set_tokens();
        char path[] = "/tmp/qpayd-config-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs(MINIMAL "network = \"testnet\"\nworkers = 2\n", f);
        fclose(f);
        struct config *cfg = NULL;
        struct config_errors errs = {0};
        assert_int_equal(config_load(path, API, &cfg, &errs), -1);
        assert_int_equal(errs.count, 1);
        char want[128];
        snprintf(want, sizeof(want), "%s:8: [[stores]] workers: unknown key", path);
        assert_true(strncmp(errs.items[0], want, strlen(want)) == 0);
        config_errors_free(&errs);
        f = fopen(path, "w");
        fputs(MINIMAL "network = \"testnet\"\n", f);
        fclose(f);
        assert_int_equal(config_load(path, API, &cfg, &errs), 0);
        assert_string_equal(cfg->path, path);
        assert_string_equal(cfg->stores[0].network, "testnet");
        config_free(cfg);
        unlink(path);
        assert_int_equal(config_load(path, API, &cfg, &errs), -1);
        assert_null(cfg);
        assert_int_equal(errs.count, 1);
        snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
        assert_string_equal(errs.items[0], want);
        config_errors_free(&errs);
        config_free(NULL);
}

static void
test_print_reference(void **state)
{
        (void)state;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        config_print_reference(f);
        fclose(f);
        assert_non_null(
            strstr(buf, "| section | key | type | default | bounds | read by | notes |"));
        assert_non_null(strstr(buf, "| `[server]` | `workers` | integer | 4 | 1..256 | qpayd |"));
        assert_non_null(strstr(buf, "| `[stores.lightning_payout]` | `full_api_password_env` | env "
                                    "var name | — | `[A-Za-z_][A-Za-z0-9_]*` | qpayd-executor | "
                                    "secret; **payout credential**"));
        assert_non_null(strstr(buf, "| `[database]` | `url_env` | env var name | "
                                    "`\"QPAYD_DATABASE_URL\"` |"));
        assert_non_null(strstr(buf, "| `[stores.bitcoin_payout.refunds]` | `poll_seconds` |"));
        size_t rows = 0;
        for (char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
                rows++;
        assert_int_equal(rows, 2 + 73);
        free(buf);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup(name, clean_env)
        const struct CMUnitTest tests[] = {
            T(test_pooler_receive_needs_direct_url),
            T(test_design_example_qpayd),
            T(test_design_example_executor),
            T(test_snippet_payout_token_override),
            T(test_snippet_admin_token_can_payout),
            T(test_snippet_refund_execution),
            T(test_defaults),
            T(test_dashboard_path),
            T(test_three_mistakes_three_errors),
            T(test_executor_reports_every_error),
            T(test_max_in_flight_bounds),
            T(test_errors_sorted_by_line),
            T(test_unknown_section),
            T(test_webhooks),
            T(test_unknown_array_table),
            T(test_single_bracket_stores),
            T(test_store_table_before_stores),
            T(test_store_table_twice),
            T(test_top_table_twice),
            T(test_same_table_in_two_stores),
            T(test_unterminated_header),
            T(test_text_after_header),
            T(test_no_stores),
            T(test_unknown_key),
            T(test_key_of_another_table),
            T(test_duplicate_key),
            T(test_duplicate_store_id),
            T(test_missing_store_id),
            T(test_key_outside_table),
            T(test_missing_equals),
            T(test_bad_key_name),
            T(test_line_too_long),
            T(test_indented_lines_are_keys),
            T(test_crlf_and_bom),
            T(test_bad_integer),
            T(test_integer_out_of_range),
            T(test_integer_overflow),
            T(test_integer_separators_and_comments),
            T(test_bad_bool),
            T(test_quoted_integer),
            T(test_bare_string),
            T(test_missing_value),
            T(test_unterminated_string),
            T(test_text_after_closing_quote),
            T(test_hash_inside_string_kept),
            T(test_unsupported_escape),
            T(test_env_name_checked),
            T(test_listen_and_urls),
            T(test_backend_values),
            T(test_required_keys),
            T(test_key_of_another_backend),
            T(test_executor_needs_payout_credential_keys),
            T(test_refunds_policy_only),
            T(test_missing_secret_names_variable),
            T(test_missing_auth_secret_reported_once),
            T(test_database_url_required),
            T(test_userpass_checked),
            T(test_credentials_dir_preferred),
            T(test_loose_permissions_refused),
            T(test_systemd_credential_acl),
            T(test_secret_read_directly),
            T(test_guard_names_are_the_reference_names),
            T(test_qpayd_refuses_payout_credential_in_env),
            T(test_qpayd_refuses_payout_credential_file),
            T(test_qpayd_refuses_payout_credential_keys),
            T(test_qpayd_refuses_named_payout_variable),
            T(test_qpayd_never_reads_a_reserved_name),
            T(test_executor_unaffected_by_guard),
            T(test_executor_reads_payout_not_tokens),
            T(test_executor_does_not_require_tokens),
            T(test_store_without_token),
            T(test_token_equality),
            T(test_threshold_without_admin_token),
            T(test_load_file),
            T(test_print_reference),
        };
#undef T
        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
