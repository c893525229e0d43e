/* Options both programs share: --config, --log-level, --help, --version. */
#ifndef QPAYD_CLI_H
#define QPAYD_CLI_H

#include <getopt.h>

#include "config.h"
#include "log.h"

/* Exit codes, documented in both programs' --help. */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,   /* config invalid, database or runtime error */
        EXIT_USAGE = 2,      /* bad command line, or command not available here */
        EXIT_PROCESSING = 3, /* qpayd-executor: refunds left processing */
        EXIT_AUDIT = 4,      /* qpayd-executor audit: the journal and the database disagree */
};

struct cli_common {
        const char *config_path; /* borrowed from argv; default CONFIG_DEFAULT_PATH */
        enum log_level log_level;
};

#define CLI_OPT_CONFIG    'c'
#define CLI_OPT_LOG_LEVEL 0x100
#define CLI_OPT_HELP      'h'
#define CLI_OPT_VERSION   'V'

#define CLI_COMMON_LONGOPTS                                                                        \
        {"config", required_argument, NULL, CLI_OPT_CONFIG},                                       \
            {"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL},                             \
            {"help", no_argument, NULL, CLI_OPT_HELP},                                             \
        {                                                                                          \
                "version", no_argument, NULL, CLI_OPT_VERSION                                      \
        }

void cli_common_init(struct cli_common *c);
/* Handles one of the common options. Returns 1 when handled, 0 when opt is
 * not a common option, -1 on a bad value (message printed). */
int cli_common_option(struct cli_common *c, int opt, const char *arg);

/* The "options:" paragraph of both programs' --help. */
void cli_print_options(FILE *out);

/* After getopt: exactly one command must remain. Initialises libsodium.
 * Returns the command, or NULL after printing why (and usage); then *rc is
 * the exit code. */
const char *cli_command(int argc, char **argv, const char *prog, void (*usage)(FILE *), int *rc);

/* Loads the config for prog and prints every error to stderr. Returns the
 * config or NULL. */
struct config *cli_load_config(const char *path, enum config_program prog);
/* `check-config`: prints every problem, or "configuration OK". Exit code. */
int cli_check_config(const char *path, enum config_program prog);
/* The end of an online check-config: "configuration OK" when bad (backends
 * in error) is 0, else how many; frees cfg (owned). The exit code. */
int cli_check_config_report(const char *path, struct config *cfg, int bad);

#endif
