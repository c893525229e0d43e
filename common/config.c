/* Loads qpayd.toml: inih splits lines into key = value; our reader counts
 * lines, reads table headers and rejects what inih would, so that every error
 * names file:line and parsing goes on after each one. Keys are looked up in
 * the table of config_table.c, which drives types, bounds and defaults. */
#include "config_table.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_LINE_MAX 1024 /* characters per line, newline excluded */

static const char *
current_written(const struct config_parse *p)
{
        return p->section >= 0 ? config_sections[p->section].written : NULL;
}

static void *
key_base(struct config_parse *p, const struct config_key *k, size_t store)
{
        if (config_sections[k->section].per_store)
                return &p->cfg->stores[store];
        return p->cfg;
}

static void
new_store(struct config_parse *p, int line)
{
        struct config *cfg = p->cfg;
        size_t n = cfg->nstores + 1;
        cfg->stores = config_xrealloc(cfg->stores, n * sizeof(*cfg->stores));
        p->meta = config_xrealloc(p->meta, n * sizeof(*p->meta));
        memset(&cfg->stores[n - 1], 0, sizeof(*cfg->stores));
        memset(&p->meta[n - 1], 0, sizeof(*p->meta));
        cfg->nstores = n;
        config_apply_defaults(&cfg->stores[n - 1], true);
        cfg->stores[n - 1].line = line;
        p->meta[n - 1].table_line[CONFIG_S_STORE] = line;
}

static void
list_tables(char *buf, size_t size)
{
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < CONFIG_S_COUNT && used < size; i++)
                used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                         config_sections[i].written);
}

/* A "[name]" or "[[stores]]" line, s trimmed on the left. Sets p->section,
 * to CONFIG_SEC_SKIP when the header is wrong (its keys are then skipped). */
static void
begin_table(struct config_parse *p, const char *s)
{
        int line = p->lineno;
        bool array = s[1] == '[';
        const char *open = s + (array ? 2 : 1);
        const char *close = array ? strstr(open, "]]") : strchr(open, ']');
        char name[64], known[512];

        p->section = CONFIG_SEC_SKIP;
        if (close == NULL) {
                config_parse_error(p, line, NULL, NULL, "table header without closing '%s'",
                                   array ? "]]" : "]");
                return;
        }
        const char *rest = close + (array ? 2 : 1);
        rest += strspn(rest, " \t");
        if (*rest != '\0' && *rest != '#') {
                config_parse_error(p, line, NULL, NULL, "unexpected text after the table header");
                return;
        }
        open += strspn(open, " \t");
        size_t n = (size_t)(close - open);
        while (n > 0 && (open[n - 1] == ' ' || open[n - 1] == '\t'))
                n--;
        snprintf(name, sizeof(name), "%.*s", (int)n, open);
        if (array) {
                if (strcmp(name, "stores") != 0) {
                        config_parse_error(p, line, NULL, NULL,
                                           "[[%s]]: unknown array of tables (only [[stores]])",
                                           name);
                        return;
                }
                new_store(p, line);
                p->section = CONFIG_S_STORE;
                return;
        }
        int sec = config_section_find(name);
        if (sec == CONFIG_S_STORE) {
                config_parse_error(p, line, NULL, NULL,
                                   "[stores]: a store starts with [[stores]] (two brackets)");
                return;
        }
        if (sec < 0) {
                list_tables(known, sizeof(known));
                config_parse_error(p, line, NULL, NULL, "[%s]: unknown table (known: %s)", name,
                                   known);
                return;
        }
        const struct config_section_def *d = &config_sections[sec];
        int *seen;
        if (d->per_store) {
                if (p->cfg->nstores == 0) {
                        config_parse_error(p, line, d->written, NULL,
                                           "comes before any [[stores]]; a store table belongs "
                                           "to the [[stores]] above it");
                        return;
                }
                seen = &p->meta[p->cfg->nstores - 1].table_line[sec];
        } else {
                seen = &p->top_table_line[sec];
        }
        if (*seen != 0) {
                config_parse_error(p, line, d->written, NULL, "given twice%s (first on line %d)",
                                   d->per_store ? " for this store" : "", *seen);
                return;
        }
        *seen = line;
        if (d->per_store) {
                char *st = (char *)&p->cfg->stores[p->cfg->nstores - 1];
                *(bool *)(st + d->present_offset) = true;
                *(int *)(st + d->line_offset) = line;
        }
        p->section = sec;
}

/* Checks one line; returns true when inih should see it, false when it is
 * blank, a comment, or wrong (then reported here, once). */
static bool
check_line(struct config_parse *p, const char *s)
{
        s += strspn(s, " \t");
        if (*s == '\0' || *s == '#')
                return false;
        if (*s == '[') {
                begin_table(p, s);
                return p->section >= 0;
        }
        size_t klen = strspn(s, CONFIG_KEY_CHARS);
        const char *after = s + klen + strspn(s + klen, " \t");
        if (*after == '=' && klen > 0)
                return true;
        if (*after == '=')
                config_parse_error(p, p->lineno, current_written(p), NULL,
                                   "missing key name before '='");
        else if (strchr(s, '=') != NULL)
                config_parse_error(p, p->lineno, current_written(p), NULL,
                                   "invalid key name (letters, digits, _ and - only)");
        else
                config_parse_error(p, p->lineno, current_written(p), NULL,
                                   "expected key = value, [table] or [[stores]]");
        return false;
}

static int
source_getc(struct config_parse *p)
{
        if (p->fp != NULL)
                return getc(p->fp);
        if (p->text[p->pos] == '\0')
                return EOF;
        return (unsigned char)p->text[p->pos++];
}

/* The ini_reader: one physical line per call, counted, checked, and handed to
 * inih only when it is a valid header or key line (else as a blank line). */
static char *
config_reader(char *buf, int num, void *stream)
{
        struct config_parse *p = stream;
        char line[CONFIG_LINE_MAX + 1];
        size_t n = 0;
        bool too_long = false, nul = false;
        int c;

        while ((c = source_getc(p)) != EOF && c != '\n') {
                if (c == '\0')
                        nul = true;
                if (n < CONFIG_LINE_MAX)
                        line[n++] = (char)c;
                else
                        too_long = true;
        }
        if (c == EOF && n == 0)
                return NULL;
        p->lineno++;
        if (n > 0 && line[n - 1] == '\r')
                n--;
        line[n] = '\0';
        const char *s = line;
        if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        bool pass = false;
        if (too_long || n + 2 > (size_t)num)
                config_parse_error(p, p->lineno, current_written(p), NULL,
                                   "line too long (more than %d characters)", CONFIG_LINE_MAX);
        else if (nul)
                config_parse_error(p, p->lineno, current_written(p), NULL,
                                   "line contains a NUL byte");
        else
                pass = check_line(p, s);
        snprintf(buf, (size_t)num, "%s\n", pass ? s : "");
        return buf;
}

static void
list_keys(enum config_section sec, char *buf, size_t size)
{
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < config_nkeys && used < size; i++) {
                if (config_keys[i].section == sec)
                        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                                                 config_keys[i].name);
        }
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
        struct config_parse *p = user;
        char known[512];
        (void)section; /* inih's view; ours (p->section) also knows bad headers */

        if (p->section == CONFIG_SEC_SKIP)
                return 1;
        if (p->section == CONFIG_SEC_NONE) {
                config_parse_error(p, p->lineno, NULL, name,
                                   "outside any table; put it under its [table] header");
                return 1;
        }
        const struct config_section_def *d = &config_sections[p->section];
        int row = config_key_find(p->section, name);
        if (row < 0) {
                list_keys(p->section, known, sizeof(known));
                config_parse_error(p, p->lineno, d->written, name, "unknown key (known: %s)",
                                   known);
                return 1;
        }
        size_t store = p->cfg->nstores - 1; /* per_store tables exist only after [[stores]] */
        int *seen = d->per_store ? &p->meta[store].key_line[row] : &p->top_key_line[row];
        if (*seen != 0) {
                config_parse_error(p, p->lineno, d->written, name,
                                   "given twice in this table (first on line %d)", *seen);
                return 1;
        }
        *seen = p->lineno;
        config_set_value(p, &config_keys[row], key_base(p, &config_keys[row], store), value);
        return 1;
}

/* The value of the "backend" key of k's table in store st, or NULL. */
static const char *
table_backend(const struct config_key *k, struct config_store *st)
{
        const struct config_key *b = config_key_get(k->section, "backend");
        return b == NULL ? NULL : *config_key_str(b, st);
}

/* A store key with a value or a reported mistake: either way, no cross-check
 * should add "missing" to an error already given. */
static bool
given(struct config_parse *p, size_t i, const char *name, const char *value)
{
        return value != NULL || p->meta[i].key_line[config_key_find(CONFIG_S_STORE, name)] != 0;
}

/* Store keys unset in a store take the [auth] key of the same name. */
static void
apply_fallbacks(struct config_parse *p, size_t i)
{
        for (size_t r = 0; r < config_nkeys; r++) {
                const struct config_key *k = &config_keys[r];
                if (!(k->flags & CONFIG_K_AUTH_FALLBACK) || p->meta[i].key_line[r] != 0)
                        continue;
                const char *def = *config_key_str(config_key_get(CONFIG_S_AUTH, k->name), p->cfg);
                if (def != NULL)
                        *config_key_str(k, &p->cfg->stores[i]) = config_xstrdup(def);
        }
}

/* Required keys, keys of another backend, and what qpayd-executor needs. */
static void
check_store_keys(struct config_parse *p, size_t i)
{
        struct config_store *st = &p->cfg->stores[i];
        const struct config_store_meta *m = &p->meta[i];
        for (size_t r = 0; r < config_nkeys; r++) {
                const struct config_key *k = &config_keys[r];
                const struct config_section_def *d = &config_sections[k->section];
                int table = m->table_line[k->section];
                if (!d->per_store || table == 0)
                        continue;
                const char *backend = table_backend(k, st);
                bool mine = k->backend == NULL || (backend && strcmp(backend, k->backend) == 0);
                if ((k->flags & CONFIG_K_REQUIRED) && m->key_line[r] == 0)
                        config_parse_error(p, table, d->written, k->name, "missing (required)");
                if (k->backend != NULL && backend != NULL && !mine && m->key_line[r] != 0)
                        config_parse_error(p, m->key_line[r], d->written, k->name,
                                           "only used with backend = \"%s\"", k->backend);
                if ((k->flags & CONFIG_K_EXEC_REQUIRED) && p->prog == CONFIG_PROG_EXECUTOR &&
                    m->key_line[r] == 0 && backend != NULL && mine)
                        config_parse_error(p, table, d->written, k->name,
                                           "missing; qpayd-executor needs it to pay refunds "
                                           "with backend \"%s\"",
                                           backend);
        }
}

/* Refund policy: what each program needs of a .refunds table. */
static void
check_refunds(struct config_parse *p, size_t i)
{
        struct config_store *st = &p->cfg->stores[i];
        const struct config_store_meta *m = &p->meta[i];
        char label[80];
        for (int sec = 0; sec < CONFIG_S_COUNT; sec++) {
                const struct config_section_def *d = &config_sections[sec];
                if (d->parent < 0 || m->table_line[sec] == 0)
                        continue;
                const struct config_key *en = config_key_get(sec, "enabled");
                const struct config_key *th = config_key_get(sec, "manual_approval_threshold_sats");
                bool enabled = *(bool *)((char *)st + en->offset);
                int en_line = m->key_line[en - config_keys];
                int th_line = m->key_line[th - config_keys];
                if (p->prog == CONFIG_PROG_EXECUTOR && enabled && m->table_line[d->parent] == 0)
                        config_parse_error(p, en_line, d->written, "enabled",
                                           "refunds are enabled but %s has no %s table "
                                           "(backend, url and credential)",
                                           config_store_label(st, label),
                                           config_sections[d->parent].written);
                if (p->prog == CONFIG_PROG_API && th_line != 0 &&
                    !given(p, i, "admin_token_env", st->admin_token_env))
                        config_parse_error(p, th_line, d->written, th->name,
                                           "%s has no admin token to approve refunds "
                                           "above the threshold; set admin_token_env in the "
                                           "store or in [auth]",
                                           config_store_label(st, label));
        }
}

/* Parses the store's approval keys now, so a bad key or an unreadable file
 * is a config error at start or reload, not a surprise at approval time. */
static void
check_approval_keys(struct config_parse *p, size_t i)
{
        struct config_store *st = &p->cfg->stores[i];
        char err[300];
        const char *names[] = {"approval_public_keys", "approval_public_keys_file"};
        const char *vals[] = {st->approval_public_keys, st->approval_public_keys_file};
        for (int k = 0; k < 2; k++) {
                if (vals[k] == NULL)
                        continue;
                int line = p->meta[i].key_line[config_key_find(CONFIG_S_STORE, names[k])];
                size_t before = st->approval_keys.n;
                if (approval_keys_load(k == 0 ? vals[k] : NULL, k == 1 ? vals[k] : NULL,
                                       &st->approval_keys, err, sizeof(err)) != 0)
                        config_parse_error(p, line, "[[stores]]", names[k], "%s", err);
                else if (st->approval_keys.n == before)
                        /* An empty list would silently turn signed approvals off. */
                        config_parse_error(p, line, "[[stores]]", names[k],
                                           "lists no new key (an empty list would turn signed "
                                           "approvals off: remove the key instead)");
        }
}

/* A webhook url over plain http only where private targets are allowed. */
static void
check_webhooks(struct config_parse *p, size_t i)
{
        const struct config_webhooks *w = &p->cfg->stores[i].webhooks;
        if (!w->present || w->url == NULL || w->allow_private_targets ||
            strncmp(w->url, "https://", 8) == 0)
                return;
        config_parse_error(p, p->meta[i].key_line[config_key_find(CONFIG_S_WEBHOOKS, "url")],
                           "[stores.webhooks]", "url",
                           "must be https:// (http:// only with allow_private_targets = true)");
}

static void
check_config(struct config_parse *p)
{
        struct config *cfg = p->cfg;
        char label[80];
        if (cfg->nstores == 0)
                config_parse_error(p, 0, "[[stores]]", NULL,
                                   "no store is configured; add a [[stores]] table with an id");
        /* The receive lease is a session advisory lock: through a
         * transaction pooler it would stay with whichever server connection
         * took it. */
        if (p->prog == CONFIG_PROG_API && cfg->receive && config_db_pooled(cfg) &&
            cfg->database_listen_url_env == NULL)
                config_parse_error(p, 0, "[database]", "listen_url_env",
                                   "pooler = \"transaction\" with [server] receive = true needs "
                                   "listen_url_env (a direct URL for the receive lease), or set "
                                   "receive = false");
        for (size_t i = 0; i < cfg->nstores; i++) {
                struct config_store *st = &cfg->stores[i];
                apply_fallbacks(p, i);
                check_store_keys(p, i);
                check_refunds(p, i);
                check_approval_keys(p, i);
                check_webhooks(p, i);
                if (p->prog == CONFIG_PROG_API &&
                    !given(p, i, "api_token_env", st->api_token_env) &&
                    !given(p, i, "admin_token_env", st->admin_token_env) &&
                    !given(p, i, "payout_token_env", st->payout_token_env))
                        config_parse_error(p, st->line, "[[stores]]", NULL,
                                           "%s has no token: set api_token_env, "
                                           "admin_token_env or payout_token_env in the store "
                                           "or in [auth]",
                                           config_store_label(st, label));
        }
}

/* Sorts the errors by line, keeping the order of errors on one line, and
 * hands them to the caller. */
static void
flush_errors(struct config_parse *p, struct config_errors *errs)
{
        for (size_t i = 1; i < p->nerrs; i++) {
                struct config_pending e = p->errs[i];
                size_t j = i;
                for (; j > 0 && p->errs[j - 1].line > e.line; j--)
                        p->errs[j] = p->errs[j - 1];
                p->errs[j] = e;
        }
        for (size_t i = 0; i < p->nerrs; i++) {
                config_errors_add(errs, "%s", p->errs[i].msg);
                free(p->errs[i].msg);
        }
        free(p->errs);
}

static int
load(struct config_parse *p, struct config **out, struct config_errors *errs)
{
        struct config *cfg = config_xrealloc(NULL, sizeof(*cfg));
        memset(cfg, 0, sizeof(*cfg));
        cfg->path = config_xstrdup(p->path);
        config_apply_defaults(cfg, false);
        p->cfg = cfg;
        p->section = CONFIG_SEC_NONE;

        /* Debian's inih takes its options at run time. Our reader hands it
         * only checked lines, so these mostly keep it from second-guessing. */
        ini_allow_multiline = false;       /* indented lines are not continuations */
        ini_allow_inline_comments = false; /* # is stripped quote-aware in lex_value */
        ini_allow_bom = false;             /* the reader drops it */
        ini_allow_no_value = false;
        ini_stop_on_first_error = false;
        ini_use_stack = true;
        ini_max_line = CONFIG_LINE_MAX + 3; /* room for \r, \n and NUL */
        if (ini_parse_stream(config_reader, p, config_handler, p) == -2)
                config_parse_error(p, p->lineno, NULL, NULL, "out of memory");
        if (p->fp != NULL && ferror(p->fp))
                config_parse_error(p, p->lineno, NULL, NULL, "read error: %s", strerror(errno));

        check_config(p);
        config_resolve_secrets(p);
        free(p->meta);
        bool failed = p->nerrs > 0;
        flush_errors(p, errs);
        if (failed) {
                config_free(cfg);
                *out = NULL;
                return -1;
        }
        *out = cfg;
        return 0;
}

int
config_load(const char *path, enum config_program prog, struct config **out,
            struct config_errors *errs)
{
        struct config_parse p = {.path = path, .prog = prog};
        *out = NULL;
        p.fp = fopen(path, "re");
        if (p.fp == NULL) {
                config_errors_add(errs, "%s: cannot open: %s", path, strerror(errno));
                return -1;
        }
        int rc = load(&p, out, errs);
        fclose(p.fp);
        return rc;
}

int
config_load_string(const char *text, const char *name, enum config_program prog,
                   struct config **out, struct config_errors *errs)
{
        struct config_parse p = {.path = name, .prog = prog, .text = text};
        *out = NULL;
        return load(&p, out, errs);
}

void
config_free(struct config *cfg)
{
        if (cfg == NULL)
                return;
        for (size_t i = 0; i < cfg->nstores; i++) {
                config_free_fields(&cfg->stores[i], true);
                approval_keys_free(&cfg->stores[i].approval_keys);
        }
        config_free_fields(cfg, false);
        free(cfg->stores);
        free(cfg->path);
        free(cfg);
}

const struct config_store *
config_store_find(const struct config *cfg, const char *id)
{
        for (size_t i = 0; cfg != NULL && id != NULL && i < cfg->nstores; i++) {
                if (cfg->stores[i].id != NULL && strcmp(cfg->stores[i].id, id) == 0)
                        return &cfg->stores[i];
        }
        return NULL;
}

bool
config_db_pooled(const struct config *cfg)
{
        return cfg->db_pooler != NULL && strcmp(cfg->db_pooler, "transaction") == 0;
}

const char *
config_db_direct_url(const struct config *cfg)
{
        if (cfg->database_listen_url != NULL)
                return cfg->database_listen_url;
        return config_db_pooled(cfg) ? NULL : cfg->database_url;
}
