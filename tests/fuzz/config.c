/* The config reader (common/config.c, config_table.c, config_secret.c; inih
 * through ini_parse_stream) on the whole input as qpayd.toml, read by both
 * programs. The secrets the seeds name are set, so that resolving them runs
 * too; nothing is read from a credentials directory. */
#include "config.h"
#include "fuzz.h"

static const char *const fuzz_env[] = {
    "QPAYD_DATABASE_URL",
    "QPAYD_API_TOKEN",
    "QPAYD_ADMIN_TOKEN",
    "QPAYD_PAYOUT_TOKEN",
    "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD",
    "QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET",
    "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH",
    "QPAYD_LIGHTNING_REFUND_PASSWORD",
    "QPAYD_BITCOIN_REFUND_RPC_AUTH",
    "QPAYD_BARKD_TOKEN",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int ready;
        if (!ready) {
                unsetenv("CREDENTIALS_DIRECTORY");
                for (size_t i = 0; i < sizeof(fuzz_env) / sizeof(fuzz_env[0]); i++)
                        setenv(fuzz_env[i], "user:fuzz-secret-0123456789", 1);
                ready = 1;
        }
        char *text = fuzz_text(data, size);
        static const enum config_program progs[] = {CONFIG_PROG_API, CONFIG_PROG_EXECUTOR};
        for (size_t i = 0; i < 2; i++) {
                struct config *cfg = NULL;
                struct config_errors errs = {0};
                int rc = config_load_string(text, "fuzz.toml", progs[i], &cfg, &errs);
                if (rc == 0) {
                        FUZZ_ASSERT(cfg != NULL && errs.count == 0 && cfg->nstores >= 1);
                        for (size_t k = 0; k < cfg->nstores; k++)
                                FUZZ_ASSERT(config_store_find(cfg, cfg->stores[k].id) != NULL);
                } else {
                        FUZZ_ASSERT(rc == -1 && cfg == NULL && errs.count >= 1);
                }
                config_free(cfg);
                config_errors_free(&errs);
        }
        free(text);
        return 0;
}
