/* qpayd: the public API daemon. It holds no payout credential. */
#include <stdio.h>
#include <string.h>

#include "approval_config.h"
#include "approve_cli.h"
#include "cli.h"
#include "db.h"
#include "handoff.h"
#include "log.h"
#include "migrate.h"
#include "reach.h"
#include "serve.h"
#include "wallet_init.h"

/* Options of one command; getopt_long permutes, so they may come before or
 * after it. */
enum { OPT_STORE = 0x200, OPT_DESCRIPTOR, OPT_OFFLINE };

struct main_opts {
        const char *store;      /* wallet-init */
        const char *descriptor; /* wallet-init */
        int offline;            /* check-config */
};

static void
usage(FILE *out)
{
        fputs("usage: qpayd [--config PATH] [--log-level LEVEL] COMMAND\n"
              "\n"
              "commands:\n"
              "  serve          run the public HTTP API\n"
              "  migrate        apply pending database migrations, then the roles\n"
              "  check-config [--offline]\n"
              "                 validate the configuration; print every problem; then reach\n"
              "                 each store's receive backends (phoenixd, bitcoind) unless\n"
              "                 --offline is given\n"
              "  wallet-init --store ID --descriptor DESC\n"
              "                 create (or load) the store's watch-only bitcoind wallet and\n"
              "                 import the public ranged descriptor DESC into it\n"
              "  approval-key new --out FILE\n"
              "                 write an Ed25519 approval key pair (FILE mode 0600, FILE.pub)\n"
              "  approve --key FILE --store ID [--url URL] REFUND_ID\n"
              "                 sign a refund and post the approval (admin token from\n"
              "                 $QPAYD_ADMIN_TOKEN); run on the approver's machine\n"
              "  refunds, refunds-once, reconcile\n"
              "                 run qpayd-executor installed beside qpayd (the wallet host)\n"
              "                 with the same arguments\n"
              "\n",
              out);
        cli_print_options(out);
        fputs("command options:\n"
              "      --offline        check-config: only the file, no backend is called\n"
              "      --store ID       wallet-init: the store whose [stores.bitcoin] to use\n"
              "      --descriptor D   wallet-init: e.g. 'wpkh([fp/84h/0h/0h]xpub.../0/*)'\n"
              "\n"
              "exit codes:\n"
              "  0  success\n"
              "  1  invalid configuration, database or runtime error\n"
              "  2  usage error, or a refund command on a host without qpayd-executor\n",
              out);
}

static int
cmd_migrate(const char *path)
{
        struct config *cfg = cli_load_config(path, CONFIG_PROG_API);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        struct db db = {0};
        int rc = EXIT_FAILURE_, applied = 0, version = 0;
        /* A migration may rightly run long (an index on a big table): no
         * statement or query timeout here, the connection limits stay. */
        struct db_limits limits = db_get_limits();
        limits.statement_timeout_seconds = 0;
        limits.query_timeout_seconds = 0;
        db_set_limits(&limits);
        /* The migration lock is a session advisory lock: never through a
         * transaction pooler, which may run each statement on another
         * server connection; under one, listen_url_env's direct URL. */
        const char *url = config_db_pooled(cfg) ? cfg->database_listen_url : cfg->database_url;
        if (url == NULL) {
                log_error("qpayd migrate needs a direct database connection: "
                          "set [database] listen_url_env under pooler = \"transaction\"");
        } else if (db_open_direct(&db, url, 5) != 0) {
                log_error("cannot reach the database", "error", db.last_error);
        } else if (migrate_run(&db, &applied) != 0) {
                log_error("migration failed", "error", db.last_error);
        } else if (migrate_current_version(&db, &version) == 0) {
                char a[24], v[24];
                log_info("migrations applied", "applied", log_i64(a, applied), "schema_version",
                         log_i64(v, version));
                printf("migrate: %d migration%s applied, schema version %d\n", applied,
                       applied == 1 ? "" : "s", version);
                rc = EXIT_OK;
        } else {
                log_error("cannot read the schema version", "error", db.last_error);
        }
        db_close(&db);
        config_free(cfg);
        return rc;
}

static int
cmd_check_config(const char *path, int offline)
{
        if (offline)
                return cli_check_config(path, CONFIG_PROG_API);
        struct config *cfg = cli_load_config(path, CONFIG_PROG_API);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        approval_config_warn(cfg, stderr);
        if (!cfg->receive)
                printf("[server] receive = false: this instance serves the API only (another "
                       "one receives and delivers webhooks)\n");
        int bad = reach_check(cfg, stdout, stderr);
        return cli_check_config_report(path, cfg, bad);
}

static int
cmd_wallet_init(const char *path, const struct main_opts *o)
{
        if (o->store == NULL || o->descriptor == NULL) {
                fprintf(stderr, "qpayd: wallet-init needs --store ID and --descriptor DESC\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        struct config *cfg = cli_load_config(path, CONFIG_PROG_API);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        int rc = wallet_init_run(cfg, o->store, o->descriptor);
        config_free(cfg);
        return rc;
}

/* An option given to a command that does not take it is a usage error. */
static int
main_opts_only_for(const struct main_opts *o, const char *cmd)
{
        const char *bad = NULL;
        if (strcmp(cmd, "wallet-init") != 0 && o->store != NULL)
                bad = "--store";
        else if (strcmp(cmd, "wallet-init") != 0 && o->descriptor != NULL)
                bad = "--descriptor";
        else if (strcmp(cmd, "check-config") != 0 && o->offline)
                bad = "--offline";
        if (bad == NULL)
                return 0;
        fprintf(stderr, "qpayd: %s does not apply to '%s'\n", bad, cmd);
        usage(stderr);
        return -1;
}

static int
cmd_serve(const char *path)
{
        struct config *cfg = cli_load_config(path, CONFIG_PROG_API);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        int rc = serve_run(cfg);
        config_free(cfg);
        return rc;
}

int
main(int argc, char **argv)
{
        /* Refund commands belong to qpayd-executor, options and all. */
        if (handoff_is_executor_command(handoff_command(argc, argv)))
                return handoff_exec(argc, argv);
        /* The approver's commands read no config and take their own options. */
        if (approve_cli_is_command(handoff_command(argc, argv)))
                return approve_cli_main(argc, argv);

        static const struct option longopts[] = {
            CLI_COMMON_LONGOPTS,
            {"store", required_argument, NULL, OPT_STORE},
            {"descriptor", required_argument, NULL, OPT_DESCRIPTOR},
            {"offline", no_argument, NULL, OPT_OFFLINE},
            {NULL, 0, NULL, 0}};
        struct main_opts o = {0};
        struct cli_common common;
        cli_common_init(&common);
        int opt;
        while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
                int r = cli_common_option(&common, opt, optarg);
                if (r == 1)
                        continue;
                if (r < 0)
                        return EXIT_USAGE;
                if (opt == OPT_STORE) {
                        o.store = optarg;
                        continue;
                }
                if (opt == OPT_DESCRIPTOR) {
                        o.descriptor = optarg;
                        continue;
                }
                if (opt == OPT_OFFLINE) {
                        o.offline = 1;
                        continue;
                }
                if (opt == CLI_OPT_HELP) {
                        usage(stdout);
                        return EXIT_OK;
                }
                if (opt == CLI_OPT_VERSION) {
                        printf("qpayd %s\n", QPAYD_VERSION);
                        return EXIT_OK;
                }
                usage(stderr);
                return EXIT_USAGE;
        }
        int rc = EXIT_OK;
        const char *cmd = cli_command(argc, argv, "qpayd", usage, &rc);
        if (cmd == NULL)
                return rc;
        if (main_opts_only_for(&o, cmd) != 0)
                return EXIT_USAGE;
        if (strcmp(cmd, "serve") == 0)
                return cmd_serve(common.config_path);
        if (strcmp(cmd, "migrate") == 0)
                return cmd_migrate(common.config_path);
        if (strcmp(cmd, "check-config") == 0)
                return cmd_check_config(common.config_path, o.offline);
        if (strcmp(cmd, "wallet-init") == 0)
                return cmd_wallet_init(common.config_path, &o);
        fprintf(stderr, "qpayd: unknown command '%s'\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
}
