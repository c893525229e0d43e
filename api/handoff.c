#include "handoff.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *
handoff_command(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0)
                        return i + 1 < argc ? argv[i + 1] : NULL;
                if (a[0] != '-')
                        return a;
                /* Options whose value is the next argument. */
                if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0 ||
                    strcmp(a, "--log-level") == 0)
                        i++;
        }
        return NULL;
}

int
handoff_is_executor_command(const char *cmd)
{
        return cmd != NULL && (strcmp(cmd, "refunds") == 0 || strcmp(cmd, "refunds-once") == 0 ||
                               strcmp(cmd, "reconcile") == 0);
}

int
handoff_exec(int argc, char **argv)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char path[PATH_MAX + 32];
                snprintf(path, sizeof(path), "%s/qpayd-executor", dirname(self));
                if (access(path, X_OK) == 0) {
                        char **args = calloc((size_t)argc + 1, sizeof(char *));
                        if (args != NULL) {
                                args[0] = path;
                                for (int i = 1; i < argc; i++)
                                        args[i] = argv[i];
                                execv(path, args);
                                fprintf(stderr, "qpayd: cannot run %s: %s\n", path,
                                        strerror(errno));
                                free(args);
                                return EXIT_USAGE;
                        }
                }
        }
        fprintf(stderr,
                "qpayd: refund execution runs in qpayd-executor on the wallet host, and "
                "qpayd-executor is not installed beside this qpayd.\n"
                "Run it there: qpayd-executor --config /etc/qpayd/executor.toml %s\n",
                handoff_command(argc, argv));
        return EXIT_USAGE;
}
