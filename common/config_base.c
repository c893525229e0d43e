/* What every config*.c file uses: the parser's error list, allocation that
 * never fails, store labels and the credentials-directory path. It calls no
 * other config file, so the loader (config.c), the key table
 * (config_table.c), the secret resolver (config_secret.c) and the payout
 * guard (config_guard.c) can all use it without calling each other back. */
#include "config_base.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void *
config_xrealloc(void *ptr, size_t size)
{
        void *p = realloc(ptr, size == 0 ? 1 : size);
        if (p == NULL) {
                fputs("qpayd: out of memory reading the configuration\n", stderr);
                abort();
        }
        return p;
}

char *
config_xstrdup(const char *s)
{
        size_t n = strlen(s) + 1;
        return memcpy(config_xrealloc(NULL, n), s, n);
}

static char *
xvasprintf(const char *fmt, va_list ap)
{
        va_list ap2;
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap2);
        va_end(ap2);
        char *s = config_xrealloc(NULL, n < 0 ? 1 : (size_t)n + 1);
        if (n < 0)
                *s = '\0';
        else
                vsnprintf(s, (size_t)n + 1, fmt, ap);
        return s;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

void
config_errors_add(struct config_errors *errs, const char *fmt, ...)
{
        va_list ap;
        if (errs->count == errs->cap) {
                errs->cap = errs->cap ? errs->cap * 2 : 8;
                errs->items = config_xrealloc(errs->items, errs->cap * sizeof(*errs->items));
        }
        va_start(ap, fmt);
        errs->items[errs->count++] = xvasprintf(fmt, ap);
        va_end(ap);
}

void
config_errors_free(struct config_errors *errs)
{
        for (size_t i = 0; i < errs->count; i++)
                free(errs->items[i]);
        free(errs->items);
        errs->items = NULL;
        errs->count = errs->cap = 0;
}

void
config_parse_error(struct config_parse *p, int line, const char *section, const char *key,
                   const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *what = xvasprintf(fmt, ap);
        va_end(ap);
        char *msg =
            xasprintf("%s:%d: %s%s%s%s%s", p->path, line, section ? section : "",
                      section && key ? " " : "", key ? key : "", section || key ? ": " : "", what);
        free(what);
        /* The same message twice helps nobody (several stores falling back
         * to one missing [auth] variable, say). */
        for (size_t i = 0; i < p->nerrs; i++) {
                if (p->errs[i].line == line && strcmp(p->errs[i].msg, msg) == 0) {
                        free(msg);
                        return;
                }
        }
        if (p->nerrs == p->caperrs) {
                p->caperrs = p->caperrs ? p->caperrs * 2 : 8;
                p->errs = config_xrealloc(p->errs, p->caperrs * sizeof(*p->errs));
        }
        p->errs[p->nerrs].line = line;
        p->errs[p->nerrs++].msg = msg;
}

const char *
config_store_label(const struct config_store *st, char buf[80])
{
        if (st->id != NULL)
                snprintf(buf, 80, "store \"%s\"", st->id);
        else
                snprintf(buf, 80, "the store on line %d", st->line);
        return buf;
}

bool
config_secret_path(const char *var, char *path, size_t size)
{
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (dir == NULL || *dir == '\0')
                return false;
        int n = snprintf(path, size, "%s/%s", dir, var);
        return n > 0 && (size_t)n < size;
}

void
config_secret_free(char *secret)
{
        if (secret == NULL)
                return;
        sodium_memzero(secret, strlen(secret));
        free(secret);
}
