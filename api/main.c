/* qpayd: the public API daemon. It holds no payout credential. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "handoff.h"
#include "log.h"
#include "migrate.h"
#include "serve.h"

static void
usage(FILE *out)
{
        fputs("usage: qpayd [--config PATH] [--log-level LEVEL] COMMAND\n"
              "\n"
              "commands:\n"
              "  serve          run the public HTTP API\n"
              "  migrate        apply pending database migrations, then the roles\n"
              "  check-config   validate the configuration; print every problem\n"
              "  refunds, refunds-once, reconcile\n"
              "                 run qpayd-executor installed beside qpayd (the wallet host)\n"
              "                 with the same arguments\n"
              "\n",
              out);
        cli_print_options(out);
        fputs("exit codes:\n"
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
        if (db_open(&db, cfg->database_url, NULL, 0, 5) != 0) {
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

        static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
        struct cli_common common;
        cli_common_init(&common);
        int opt;
        while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
                int r = cli_common_option(&common, opt, optarg);
                if (r == 1)
                        continue;
                if (r < 0)
                        return EXIT_USAGE;
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
        if (strcmp(cmd, "serve") == 0)
                return cmd_serve(common.config_path);
        if (strcmp(cmd, "migrate") == 0)
                return cmd_migrate(common.config_path);
        if (strcmp(cmd, "check-config") == 0)
                return cli_check_config(common.config_path, CONFIG_PROG_API);
        fprintf(stderr, "qpayd: unknown command '%s'\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
}
