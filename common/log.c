#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static enum log_level log_level_current = LOG_INFO;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

/* A thread that answers many requests per turn of its event loop gathers
 * its info and debug lines and writes them in one go at the end of the turn
 * (log_buffer_flush): one write instead of one per request. Warnings and
 * errors are never held back: they write what was gathered, then
 * themselves, so the order of a thread's lines is kept. */
#define LOG_BUFFER_SIZE (16 * 1024)
struct log_buffer {
        char data[LOG_BUFFER_SIZE];
        size_t len;
        void (*on_first)(void *arg); /* a line arrived in an empty buffer */
        void *arg;
};
static _Thread_local struct log_buffer *log_tbuf;
static void log_write(const char *text, size_t len);

int
log_level_parse(const char *name, enum log_level *out)
{
        for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
                if (strcmp(name, log_level_names[i]) == 0) {
                        *out = (enum log_level)i;
                        return 0;
                }
        }
        return -1;
}

void
log_set_level(enum log_level level)
{
        log_level_current = level;
}

enum log_level
log_get_level(void)
{
        return log_level_current;
}

void
log_set_stream(FILE *stream)
{
        log_stream = stream;
}

const char *
log_i64(char buf[24], int64_t value)
{
        snprintf(buf, 24, "%lld", (long long)value);
        return buf;
}

static bool
log_needs_quotes(const char *v)
{
        if (*v == '\0')
                return true;
        for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
                if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
                        return true;
        }
        return false;
}

size_t
log_quote(char *out, size_t outsz, const char *value)
{
        size_t n = 0;
        if (outsz == 0)
                return 0;
#define PUT(c)                                                                                     \
        do {                                                                                       \
                if (n + 1 < outsz)                                                                 \
                        out[n++] = (c);                                                            \
        } while (0)
        if (value == NULL)
                value = "";
        bool quote = log_needs_quotes(value);
        if (quote)
                PUT('"');
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        PUT('\\');
                        PUT(*p);
                } else if (*p == '\n') {
                        PUT('\\');
                        PUT('n');
                } else if (*p < ' ' || *p == 0x7f) {
                        /* Control bytes would break one-line-per-event. */
                        char hex[5];
                        snprintf(hex, sizeof(hex), "\\x%02x", *p);
                        for (int i = 0; i < 4; i++)
                                PUT(hex[i]);
                } else {
                        PUT(*p);
                }
        }
        if (quote)
                PUT('"');
#undef PUT
        out[n] = '\0';
        return n;
}

void
log_eventv(enum log_level level, const char *msg, va_list ap)
{
        if (level < log_level_current)
                return;
        char line[4096];
        size_t n = 0;
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n += strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
        n +=
            (size_t)snprintf(line + n, sizeof(line) - n,
                             ".%03ldZ level=%s msg=", ts.tv_nsec / 1000000, log_level_names[level]);
        n += log_quote(line + n, sizeof(line) - n, msg);
        for (;;) {
                const char *key = va_arg(ap, const char *);
                if (key == NULL || n + 2 >= sizeof(line))
                        break;
                const char *value = va_arg(ap, const char *);
                n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=", key);
                if (n >= sizeof(line))
                        break;
                n += log_quote(line + n, sizeof(line) - n, value);
        }
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        line[n] = '\0';
        struct log_buffer *b = log_tbuf;
        if (b != NULL && level < LOG_WARN) {
                if (b->len + n > sizeof(b->data))
                        log_buffer_flush();
                int first = b->len == 0;
                memcpy(b->data + b->len, line, n);
                b->len += n;
                if (first && b->on_first != NULL)
                        b->on_first(b->arg);
                return;
        }
        log_buffer_flush();
        log_write(line, n);
}

static void
log_write(const char *text, size_t len)
{
        FILE *out = log_stream ? log_stream : stderr;
        pthread_mutex_lock(&log_lock);
        fwrite(text, 1, len, out);
        fflush(out);
        pthread_mutex_unlock(&log_lock);
}

int
log_buffer_start(void (*on_first)(void *arg), void *arg)
{
        if (log_tbuf == NULL && (log_tbuf = malloc(sizeof(*log_tbuf))) == NULL)
                return -1;
        log_tbuf->len = 0;
        log_tbuf->on_first = on_first;
        log_tbuf->arg = arg;
        return 0;
}

void
log_buffer_flush(void)
{
        struct log_buffer *b = log_tbuf;
        if (b == NULL || b->len == 0)
                return;
        log_write(b->data, b->len);
        b->len = 0;
}

void
log_buffer_stop(void)
{
        log_buffer_flush();
        free(log_tbuf);
        log_tbuf = NULL;
}

void
log_event(enum log_level level, const char *msg, ...)
{
        va_list ap;
        va_start(ap, msg);
        log_eventv(level, msg, ap);
        va_end(ap);
}
