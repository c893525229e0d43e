/* Micro benchmark of the request line (issue 12): formats N lines the way
 * api/http.c's http_log_request does (request id, method, path, status,
 * duration, worker) with the worker's per-turn gathering on, written to
 * /dev/null, and prints nanoseconds of CPU time per line (the process's CPU
 * clock: on a shared machine, time spent preempted is not counted). Built
 * against one log.c only, so bench/logfmt.sh can build it against an older
 * log.c to compare.
 *
 * Usage: logfmt [lines]   (default 2,000,000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

/* The duration as http_log_request writes it. */
static const char *
bench_ms(char buf[32], int64_t us)
{
#ifdef LOG_MS_SIZE
        return log_ms(buf, us);
#else /* a log.c from before log_ms: what http.c did then */
        snprintf(buf, 32, "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
        return buf;
#endif
}

static double
bench_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
        long n = argc > 1 ? atol(argv[1]) : 2000000;
        if (n <= 0) {
                fputs("usage: logfmt [lines]\n", stderr);
                return 2;
        }
        FILE *out = fopen("/dev/null", "w");
        if (out == NULL) {
                perror("/dev/null");
                return 1;
        }
        log_set_stream(out);
        log_set_level(LOG_INFO);
        if (log_buffer_start(NULL, NULL) != 0) {
                fputs("logfmt: out of memory\n", stderr);
                return 1;
        }
        static const char *const ids[] = {
            "req_3kT9xQ2mV7pL8aZ1cR5wY0",
            "req_9fH2bN6uE4sJ7kD1gM3qX8",
            "req_1aB2cD3eF4gH5iJ6kL7mN8",
            "req_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss",
        };
        double t0 = bench_now();
        for (long i = 0; i < n; i++) {
                char st[24], dur[32], wk[24];
                log_event(LOG_INFO, "request", "request_id", ids[i & 3], "method", "GET", "path",
                          "/healthz", "status", log_i64(st, 200), "ms",
                          bench_ms(dur, 40 + (i & 1023)), "worker", log_i64(wk, 0), (char *)NULL);
                if ((i & 63) == 63)
                        log_buffer_flush(); /* the end of a loop turn */
        }
        log_buffer_stop();
        double ns = (bench_now() - t0) / (double)n;
        log_set_stream(NULL);
        fclose(out);
        printf("%.1f ns of CPU per line (%ld lines)\n", ns, n);
        return 0;
}
