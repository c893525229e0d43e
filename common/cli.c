#include "cli.h"

#include <sodium.h>
#include <stdio.h>

#include "approval_config.h"
#include "db.h"

void
cli_common_init(struct cli_common *c)
{
        c->config_path = CONFIG_DEFAULT_PATH;
        c->log_level = LOG_INFO;
}

int
cli_common_option(struct cli_common *c, int opt, const char *arg)
{
        switch (opt) {
        case CLI_OPT_CONFIG:
                c->config_path = arg;
                return 1;
        case CLI_OPT_LOG_LEVEL:
                if (log_level_parse(arg, &c->log_level) != 0) {
                        fprintf(stderr,
                                "--log-level: '%s' is not one of debug, info, warn, error\n", arg);
                        return -1;
                }
                log_set_level(c->log_level);
                return 1;
        default:
                return 0;
        }
}

struct config *
cli_load_config(const char *path, enum config_program prog)
{
        struct config *cfg = NULL;
        struct config_errors errs = {0};
        if (config_load(path, prog, &cfg, &errs) != 0) {
                for (size_t i = 0; i < errs.count; i++)
                        fprintf(stderr, "%s\n", errs.items[i]);
                fprintf(stderr, "%zu error%s in %s\n", errs.count, errs.count == 1 ? "" : "s",
                        path);
                config_errors_free(&errs);
                return NULL;
        }
        config_errors_free(&errs);
        /* Before any connection: every one the program opens gets them. */
        struct db_limits limits = {
            .connect_timeout_seconds = cfg->db_connect_timeout_seconds,
            .statement_timeout_seconds = cfg->db_statement_timeout_seconds,
            .query_timeout_seconds = cfg->db_query_timeout_seconds,
            .keepalive_seconds = cfg->db_keepalive_seconds,
            .tcp_user_timeout_seconds = cfg->db_tcp_user_timeout_seconds,
            .transaction_pooling = config_db_pooled(cfg),
        };
        db_set_limits(&limits);
        return cfg;
}

int
cli_check_config(const char *path, enum config_program prog)
{
        struct config *cfg = cli_load_config(path, prog);
        if (cfg == NULL)
                return EXIT_FAILURE_;
        approval_config_warn(cfg, stderr);
        printf("%s: configuration OK (%zu store%s)\n", path, cfg->nstores,
               cfg->nstores == 1 ? "" : "s");
        config_free(cfg);
        return EXIT_OK;
}

const char *
cli_command(int argc, char **argv, const char *prog, void (*usage)(FILE *), int *rc)
{
        if (optind + 1 != argc) {
                if (optind >= argc)
                        fprintf(stderr, "%s: a command is required\n", prog);
                else
                        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind + 1]);
                usage(stderr);
                *rc = EXIT_USAGE;
                return NULL;
        }
        if (sodium_init() < 0) {
                fprintf(stderr, "%s: libsodium failed to initialise\n", prog);
                *rc = EXIT_FAILURE_;
                return NULL;
        }
        return argv[optind];
}

void
cli_print_options(FILE *out)
{
        fprintf(out,
                "options:\n"
                "  -c, --config PATH    configuration file (default %s)\n"
                "      --log-level L    debug, info, warn or error (default info)\n"
                "  -h, --help           this text\n"
                "  -V, --version        print the version\n"
                "\n",
                CONFIG_DEFAULT_PATH);
}

int
cli_check_config_report(const char *path, struct config *cfg, int bad)
{
        if (bad == 0)
                printf("%s: configuration OK (%zu store%s)\n", path, cfg->nstores,
                       cfg->nstores == 1 ? "" : "s");
        else
                fprintf(stderr,
                        "%d backend%s in error (check-config --offline checks the file "
                        "alone)\n",
                        bad, bad == 1 ? "" : "s");
        config_free(cfg);
        return bad == 0 ? EXIT_OK : EXIT_FAILURE_;
}
