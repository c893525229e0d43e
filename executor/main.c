/* qpayd-executor: the wallet-host program, the only one holding payout
 * credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval_config.h"
#include "audit.h"
#include "cli.h"
#include "db.h"
#include "dryrun.h"
#include "guard.h"
#include "queries.h"
#include "httpc.h"
#include "pass.h"
#include "payout.h"
#include "chainwatch.h"
#include "reconcile.h"
#include "schema.h"
#include "service.h"
#include "verify.h"
#include "log.h"

static void
usage(FILE *out)
{
        fputs("usage: qpayd-executor [--config PATH] [--log-level LEVEL] COMMAND [OPTIONS]\n"
              "\n"
              "commands:\n"
              "  refunds        pay claimable refunds continuously (the systemd service)\n"
              "  refunds-once   one pass, then a summary\n"
              "      --store ID     only this store\n"
              "      --limit N      claim at most N refunds\n"
              "      --dry-run      list what would be claimed; change nothing\n"
              "  reconcile      settle refunds left processing from the backends' records,\n"
              "                 and look sent on-chain refunds up until confirmed\n"
              "      --refund ID    only this refund\n"
              "  audit          compare the journal, the database and the backends; print\n"
              "                 every disagreement\n"
              "      --ack ID       note that the journal entry of refund ID is explained\n"
              "  check-config   validate the configuration; print every problem; reach the\n"
              "                 receive backends that verify payments (read-only calls)\n"
              "      --offline      only the file, no backend is called\n"
              "\n",
              out);
        cli_print_options(out);
        fputs("exit codes:\n"
              "  0  success, nothing left processing\n"
              "  1  invalid configuration, database or runtime error\n"
              "  2  usage error\n"
              "  3  refunds-once or reconcile left refunds processing: inspect them\n"
              "  4  audit found disagreements\n",
              out);
}

enum { OPT_STORE = 0x200, OPT_LIMIT, OPT_DRY_RUN, OPT_REFUND, OPT_OFFLINE, OPT_ACK };

/* refunds-once (with or without --dry-run) and reconcile, on one connection. */
static int
executor_command(const char *cmd, const struct config *cfg, struct db *db, const char *store,
                 const char *refund, long limit, int dry_run)
{
        /* A schema older than this binary, or of a higher level, is not
         * one it may pay against (docs/upgrading.md). */
        if (schema_require(db) != 0)
                return EXIT_FAILURE_;
        if (strcmp(cmd, "reconcile") == 0) {
                struct reconcile_counts n;
                int rc = reconcile_run(cfg, db, store, refund, 0, stdout, &n);
                /* And the on-chain refunds sent, as the service does after each pass. */
                struct chainwatch_counts cn;
                if (refund == NULL && chainwatch_run(cfg, db, store, stdout, &cn) != 0)
                        rc = -1;
                printf("reconcile: looked_up=%ld succeeded=%ld failed=%ld left=%ld\n", n.looked_up,
                       n.succeeded, n.failed, n.left);
                return rc != 0 ? EXIT_FAILURE_ : n.left > 0 ? EXIT_PROCESSING : EXIT_OK;
        }
        if (dry_run)
                return dryrun_run(cfg, db, store, limit > 0 ? limit : 1000, stdout);
        struct pass_counts n;
        int rc = pass_run(cfg, db, store, limit > 0 ? limit : 1000000, stdout, &n);
        printf("claimed=%ld succeeded=%ld failed=%ld processing=%ld deferred=%ld\n", n.claimed,
               n.succeeded, n.failed, n.processing_left, n.deferred);
        return rc != 0 ? EXIT_FAILURE_ : n.processing_left > 0 ? EXIT_PROCESSING : EXIT_OK;
}

/* The wallet host's config, payout credentials read, and libcurl ready. */
static struct config *
executor_load(const char *path)
{
        struct config *cfg = cli_load_config(path, CONFIG_PROG_EXECUTOR);
        if (cfg != NULL && httpc_global_init() != 0) {
                config_free(cfg);
                return NULL;
        }
        return cfg;
}

/* The file, then (unless offline) the receive backends the executor
 * verifies payments with (verify_reach_check) and the payout backends it
 * pays with (payout_check): read-only calls. */
static int
executor_check_config(const char *path, int offline)
{
        if (offline) {
                int out = cli_check_config(path, CONFIG_PROG_EXECUTOR);
                struct config *cfg = out == EXIT_OK ? executor_load(path) : NULL;
                /* A warning: the executor refuses to pay without it anyway. */
                if (cfg != NULL)
                        guard_check_journal(cfg, stderr);
                config_free(cfg);
                return out;
        }
        struct config *cfg = executor_load(path);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        approval_config_warn(cfg, stderr);
        guard_check_journal(cfg, stderr);
        int bad = verify_reach_check(cfg, stdout, stderr);
        bad += payout_check(cfg, stdout, stderr);
        return cli_check_config_report(path, cfg, bad);
}

int
main(int argc, char **argv)
{
        static const struct option longopts[] = {
            CLI_COMMON_LONGOPTS,
            {"store", required_argument, NULL, OPT_STORE},
            {"limit", required_argument, NULL, OPT_LIMIT},
            {"dry-run", no_argument, NULL, OPT_DRY_RUN},
            {"offline", no_argument, NULL, OPT_OFFLINE},
            {"refund", required_argument, NULL, OPT_REFUND},
            {"ack", required_argument, NULL, OPT_ACK},
            {NULL, 0, NULL, 0},
        };
        struct cli_common common;
        cli_common_init(&common);
        const char *store = NULL, *refund = NULL, *ack = NULL;
        long limit = 0;
        int dry_run = 0, offline = 0, opt;
        while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
                int r = cli_common_option(&common, opt, optarg);
                if (r == 1)
                        continue;
                if (r < 0)
                        return EXIT_USAGE;
                switch (opt) {
                case CLI_OPT_HELP:
                        usage(stdout);
                        return EXIT_OK;
                case CLI_OPT_VERSION:
                        printf("qpayd-executor %s\n", QPAYD_VERSION);
                        return EXIT_OK;
                case OPT_STORE:
                        store = optarg;
                        break;
                case OPT_REFUND:
                        refund = optarg;
                        break;
                case OPT_ACK:
                        ack = optarg;
                        break;
                case OPT_DRY_RUN:
                        dry_run = 1;
                        break;
                case OPT_OFFLINE:
                        offline = 1;
                        break;
                case OPT_LIMIT: {
                        char *end = NULL;
                        limit = strtol(optarg, &end, 10);
                        if (end == optarg || *end != '\0' || limit < 1 || limit > 1000000) {
                                fprintf(stderr, "--limit: '%s' is not a number from 1 to 1000000\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        int rc = EXIT_OK;
        const char *cmd = cli_command(argc, argv, "qpayd-executor", usage, &rc);
        if (cmd == NULL)
                return rc;
        if (strcmp(cmd, "check-config") == 0)
                return executor_check_config(common.config_path, offline);
        if (strcmp(cmd, "audit") == 0 && ack != NULL) {
                struct config *cfg = executor_load(common.config_path);
                int out = cfg == NULL ? EXIT_FAILURE_ : audit_ack(cfg, ack, stdout);
                config_free(cfg);
                return out;
        }
        if (strcmp(cmd, "refunds") == 0) {
                struct config *cfg = executor_load(common.config_path);
                return cfg == NULL ? EXIT_FAILURE_ : service_run(cfg);
        }
        if (strcmp(cmd, "refunds-once") == 0 || strcmp(cmd, "reconcile") == 0 ||
            strcmp(cmd, "audit") == 0) {
                struct config *cfg = executor_load(common.config_path);
                struct db db = {0};
                if (cfg == NULL || queries_db_open(&db, cfg, 5) != 0) {
                        config_free(cfg);
                        return EXIT_FAILURE_;
                }
                int out = strcmp(cmd, "audit") == 0
                              ? audit_run(cfg, &db, stdout)
                              : executor_command(cmd, cfg, &db, store, refund, limit, dry_run);
                guard_close();
                db_close(&db);
                config_free(cfg);
                return out;
        }
        fprintf(stderr, "qpayd-executor: unknown command '%s'\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
}
