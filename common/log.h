/* One line per event on stderr in logfmt: ts=… level=… msg=… key=value …
 * Values are quoted when needed; secrets must never be passed in. */
#ifndef QPAYD_LOG_H
#define QPAYD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Where lines go; stderr by default. Tests point it at a memory stream. */
void log_set_stream(FILE *stream);

/* Key/value pairs follow msg as (const char *key, const char *value) and end
 * with NULL. A NULL value is written as an empty quoted string. */
void log_event(enum log_level level, const char *msg, ...) __attribute__((sentinel));
void log_eventv(enum log_level level, const char *msg, va_list ap);

#define log_debug(...) log_event(LOG_DEBUG, __VA_ARGS__, (char *)NULL)
#define log_info(...)  log_event(LOG_INFO, __VA_ARGS__, (char *)NULL)
#define log_warn(...)  log_event(LOG_WARN, __VA_ARGS__, (char *)NULL)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__, (char *)NULL)

/* For the calling thread only: gather info and debug lines until
 * log_buffer_flush (an event loop calls it at the end of each turn);
 * on_first(arg) runs when a line arrives in an empty buffer, so the loop can
 * schedule that flush. Warnings and errors write the gathered lines first,
 * then themselves. 0, or -1 when out of memory (lines are then written one
 * by one, as without it). */
int log_buffer_start(void (*on_first)(void *arg), void *arg);
void log_buffer_flush(void);
/* Flushes and ends the gathering for the calling thread. */
void log_buffer_stop(void);

/* Formats an integer into buf for use as a log value; returns buf. */
const char *log_i64(char buf[24], int64_t value);
/* Formats a duration of us microseconds as milliseconds with three
 * decimals ("12.345"), as printf's "%lld.%03lld" of us / 1000, us % 1000
 * would; returns buf. */
#define LOG_MS_SIZE 32
const char *log_ms(char buf[LOG_MS_SIZE], int64_t us);

/* Appends value to out (size outsz) in logfmt quoting; returns bytes written
 * (truncated output stays NUL terminated). Exposed for tests. */
size_t log_quote(char *out, size_t outsz, const char *value);

#endif
