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

/* Lines are built without printf: this runs for every request, and at tens
 * of thousands of requests a second vfprintf, strftime and a quoting pass
 * per byte were a tenth of the daemon's CPU (docs/performance.md). */
#define LOG_LINE_MAX 4096 /* bytes, newline included; longer lines are cut */

/* A line being built: what does not fit before cap is dropped, so a long
 * line keeps its first cap bytes. */
struct log_line {
        char *buf;
        size_t len, cap;
};

static inline void
log_put(struct log_line *l, const void *s, size_t n)
{
        size_t room = l->cap - l->len;
        if (n > room)
                n = room;
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static inline void
log_putc(struct log_line *l, char c)
{
        if (l->len < l->cap)
                l->buf[l->len++] = c;
}

/* Digits of v, right-aligned at end; returns where they start. */
static char *
log_digits(char *end, uint64_t v)
{
        do {
                *--end = (char)('0' + v % 10);
                v /= 10;
        } while (v != 0);
        return end;
}

const char *
log_i64(char buf[24], int64_t value)
{
        char tmp[24];
        uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
        char *p = log_digits(tmp + sizeof(tmp), mag);
        if (value < 0)
                *--p = '-';
        size_t n = (size_t)(tmp + sizeof(tmp) - p);
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
}

const char *
log_ms(char buf[LOG_MS_SIZE], int64_t us)
{
        if (us < 0) { /* a clock step; not worth a hand-written form */
                snprintf(buf, LOG_MS_SIZE, "%lld.%03lld", (long long)(us / 1000),
                         (long long)(us % 1000));
                return buf;
        }
        char tmp[LOG_MS_SIZE];
        char *end = tmp + sizeof(tmp);
        uint64_t frac = (uint64_t)us % 1000;
        *--end = (char)('0' + frac % 10);
        *--end = (char)('0' + frac / 10 % 10);
        *--end = (char)('0' + frac / 100);
        *--end = '.';
        char *p = log_digits(end, (uint64_t)us / 1000);
        size_t n = (size_t)(tmp + sizeof(tmp) - p);
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
}

/* Per byte of a value: 0 written as is, 1 written as is but the value must
 * be quoted (space, '='), 2 escaped (so quoted too). NUL is 2 so that a scan
 * for clean bytes stops at the end of the string. */
static const unsigned char
    log_class[256] =
        {
            2, 2, 2, 2, 2, 2,         2,         2,         2,          2,          2,
            2, 2, 2, 2, 2, /* control bytes */
            2, 2, 2, 2, 2, 2,         2,         2,         2,          2,          2,
            2, 2, 2, 2, 2, [' '] = 1, ['='] = 1, ['"'] = 2, ['\\'] = 2, [0x7f] = 2,
};

/* value in logfmt quoting: bare when it has no byte of class 1 or 2 and is
 * not empty, else in double quotes with '"', '\\', newline and other control
 * bytes escaped (control bytes would break one line per event). Clean runs
 * are copied whole. */
static void
log_put_value(struct log_line *l, const char *value)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *v = (const unsigned char *)(value != NULL ? value : "");
        const unsigned char *p = v;
        while (log_class[*p] == 0)
                p++;
        if (*p == '\0' && p != v) {
                log_put(l, v, (size_t)(p - v));
                return;
        }
        log_putc(l, '"');
        for (;;) {
                p = v;
                while (log_class[*p] < 2)
                        p++;
                log_put(l, v, (size_t)(p - v));
                if (*p == '\0' || l->len == l->cap)
                        break;
                char esc[4] = {'\\', (char)*p, 0, 0};
                size_t n = 2;
                if (*p == '\n') {
                        esc[1] = 'n';
                } else if (*p != '"' && *p != '\\') {
                        esc[1] = 'x';
                        esc[2] = hex[*p >> 4];
                        esc[3] = hex[*p & 15];
                        n = 4;
                }
                log_put(l, esc, n);
                v = p + 1;
        }
        log_putc(l, '"');
}

size_t
log_quote(char *out, size_t outsz, const char *value)
{
        if (outsz == 0)
                return 0;
        struct log_line l = {out, 0, outsz - 1};
        log_put_value(&l, value);
        out[l.len] = '\0';
        return l.len;
}

/* "ts=2026-12-07T06:43:28" changes once a second: each thread formats it
 * then and copies it in between. */
struct log_clock {
        bool set;
        time_t sec;
        size_t len;
        char text[64];
};
static _Thread_local struct log_clock log_clock;

/* After the milliseconds: "Z level=info msg=", by level. */
static const struct {
        const char *text;
        size_t len;
} log_level_tail[] = {
#define LOG_TAIL(s)                                                                                \
        {                                                                                          \
                s, sizeof(s) - 1                                                                   \
        }
    LOG_TAIL("Z level=debug msg="),
    LOG_TAIL("Z level=info msg="),
    LOG_TAIL("Z level=warn msg="),
    LOG_TAIL("Z level=error msg="),
#undef LOG_TAIL
};

static void
log_put_time(struct log_line *l, enum log_level level)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct log_clock *c = &log_clock;
        if (!c->set || c->sec != ts.tv_sec) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                c->len = strftime(c->text, sizeof(c->text), "ts=%Y-%m-%dT%H:%M:%S", &tm);
                c->sec = ts.tv_sec;
                c->set = true;
        }
        log_put(l, c->text, c->len);
        unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
        char frac[4] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
                        (char)('0' + ms % 10)};
        log_put(l, frac, sizeof(frac));
        log_put(l, log_level_tail[level].text, log_level_tail[level].len);
}

void
log_eventv(enum log_level level, const char *msg, va_list ap)
{
        if (level < log_level_current)
                return;
        char line[LOG_LINE_MAX];
        /* Room for the newline, and the last byte unused as it always was. */
        struct log_line l = {line, 0, sizeof(line) - 2};
        log_put_time(&l, level);
        log_put_value(&l, msg);
        for (;;) {
                const char *key = va_arg(ap, const char *);
                if (key == NULL || l.len == l.cap)
                        break;
                const char *value = va_arg(ap, const char *);
                log_putc(&l, ' ');
                log_put(&l, key, strlen(key));
                log_putc(&l, '=');
                log_put_value(&l, value);
        }
        size_t n = l.len;
        line[n++] = '\n';
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
