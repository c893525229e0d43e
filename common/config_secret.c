/* Secrets: read from $CREDENTIALS_DIRECTORY/<var> or the environment, wiped
 * when freed, and resolved per program from the key table, so that each
 * program reads only what it uses and qpayd never gets near a payout
 * credential. No message here ever contains a secret value. */
#include "config_table.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SECRET_MAX 65536 /* bytes in a credential file */

/* POSIX ACL entry tags, as the kernel stores them in the
 * system.posix_acl_access extended attribute (little-endian: a 4-byte
 * version 2, then 8-byte entries of tag, permissions and id). */
enum {
        ACL_USER_OBJ_ = 0x01,
        ACL_USER_ = 0x02,
        ACL_GROUP_OBJ_ = 0x04,
        ACL_GROUP_ = 0x08,
        ACL_MASK_ = 0x10,
        ACL_OTHER_ = 0x20
};

/* systemd's LoadCredential= files are 0400 and owned by root, with an ACL
 * entry that lets the service's user read them (on a file system with
 * ACLs: tmpfs since systemd 254). The group bits of st_mode then show the
 * ACL's mask, not the owning group's rights. Such a file is as private as
 * a 0600 one when its ACL grants nothing to the owning group, any other
 * group, others, or any user but this process's: 1 then, else 0 (no ACL,
 * or one that lets someone else read). */
static int
read_credential_acl_private(int fd)
{
        unsigned char a[1024];
        ssize_t n = fgetxattr(fd, "system.posix_acl_access", a, sizeof(a));
        if (n < 4 || (n - 4) % 8 != 0 || a[0] != 2 || a[1] != 0 || a[2] != 0 || a[3] != 0)
                return 0;
        for (ssize_t o = 4; o < n; o += 8) {
                unsigned tag = a[o] | (unsigned)a[o + 1] << 8,
                         perm = a[o + 2] | (unsigned)a[o + 3] << 8;
                uint32_t id = a[o + 4] | (uint32_t)a[o + 5] << 8 | (uint32_t)a[o + 6] << 16 |
                              (uint32_t)a[o + 7] << 24;
                if (tag == ACL_USER_OBJ_ || tag == ACL_MASK_)
                        continue;
                if (tag == ACL_USER_ && (id == (uint32_t)geteuid() || perm == 0))
                        continue;
                if ((tag == ACL_USER_ || tag == ACL_GROUP_OBJ_ || tag == ACL_GROUP_ ||
                     tag == ACL_OTHER_) &&
                    perm == 0)
                        continue;
                return 0;
        }
        return 1;
}

/* Reads an open credential file; checks it the way OpenBSD's
 * check_file_secrecy does (a systemd credential's ACL understood). */
static char *
read_credential(int fd, const char **why)
{
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                *why = "has a credential file that is not a regular file";
                return NULL;
        }
        if (st.st_uid != geteuid() && st.st_uid != 0) {
                *why = "has a credential file owned by another user";
                return NULL;
        }
        if ((st.st_mode & (S_IROTH | S_IWOTH)) ||
            ((st.st_mode & (S_IRGRP | S_IWGRP)) && !read_credential_acl_private(fd))) {
                *why = "has a credential file readable or writable by group or others "
                       "(chmod 600)";
                return NULL;
        }
        if (st.st_size > SECRET_MAX) {
                *why = "has a credential file that is too large";
                return NULL;
        }
        /* One buffer of the final size: no copies of the secret are left in
         * freed memory. */
        size_t cap = (size_t)st.st_size + 1, len = 0;
        char *buf = malloc(cap + 1);
        if (buf == NULL) {
                *why = "could not be read (out of memory)";
                return NULL;
        }
        ssize_t r;
        while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        *why = "has a credential file that cannot be read";
                        goto fail;
                }
                len += (size_t)r;
        }
        if (len == cap) {
                *why = "has a credential file that changed while being read";
                goto fail;
        }
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        if (len == 0) {
                *why = "is empty";
                goto fail;
        }
        if (memchr(buf, '\0', len) != NULL) {
                *why = "has a credential file containing a NUL byte";
                goto fail;
        }
        return buf;
fail:
        sodium_memzero(buf, cap + 1);
        free(buf);
        return NULL;
}

char *
config_secret_read(const char *var, const char **why)
{
        char path[PATH_MAX];
        const char *dummy;
        if (why == NULL)
                why = &dummy;
        if (var == NULL || *var == '\0' || strchr(var, '/') != NULL) {
                *why = "is not a valid variable name";
                return NULL;
        }
        if (config_secret_path(var, path, sizeof(path))) {
                int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                        char *s = read_credential(fd, why);
                        close(fd);
                        return s;
                }
                if (errno != ENOENT) {
                        *why = "has a credential file that cannot be opened";
                        return NULL;
                }
        }
        const char *v = getenv(var);
        if (v == NULL) {
                *why = "is not set (neither in the environment nor in $CREDENTIALS_DIRECTORY)";
                return NULL;
        }
        if (*v == '\0') {
                *why = "is empty";
                return NULL;
        }
        char *s = strdup(v);
        if (s == NULL)
                *why = "could not be read (out of memory)";
        return s;
}

static unsigned
prog_flag(enum config_program prog)
{
        return prog == CONFIG_PROG_API ? CONFIG_K_API : CONFIG_K_EXECUTOR;
}

/* Where key k of store i (or of the top level, i == SIZE_MAX) was written:
 * its own line, the [auth] key it fell back to, or its table. */
static int
key_origin(struct config_parse *p, const struct config_key *k, size_t i, const char **section)
{
        int row = (int)(k - config_keys);
        *section = config_sections[k->section].written;
        if (i == (size_t)-1)
                return p->top_key_line[row] ? p->top_key_line[row] : p->top_table_line[k->section];
        if (p->meta[i].key_line[row] != 0)
                return p->meta[i].key_line[row];
        if (k->flags & CONFIG_K_AUTH_FALLBACK) {
                *section = config_sections[CONFIG_S_AUTH].written;
                return p->top_key_line[config_key_find(CONFIG_S_AUTH, k->name)];
        }
        return p->meta[i].table_line[k->section];
}

/* Resolves every _env key of base that the program reads; in qpayd,
 * config_guard_key first refuses payout credential keys and names. i is the
 * store index, or SIZE_MAX for the top-level keys. */
static void
resolve_keys(struct config_parse *p, void *base, size_t i)
{
        for (size_t r = 0; r < config_nkeys; r++) {
                const struct config_key *k = &config_keys[r];
                bool per_store = config_sections[k->section].per_store;
                if (k->type != CONFIG_T_ENV || k->secret_offset == CONFIG_NO_OFFSET ||
                    per_store != (i != (size_t)-1))
                        continue;
                if (per_store && p->meta[i].table_line[k->section] == 0)
                        continue; /* table absent */
                const char *var = *config_key_str(k, base);
                const char *section, *why;
                int line = key_origin(p, k, i, &section);
                if (var == NULL)
                        continue;
                if (p->prog == CONFIG_PROG_API && config_guard_key(p, k, var, line, section))
                        continue;
                if (!(k->flags & prog_flag(p->prog)))
                        continue;
                char *value = config_secret_read(var, &why);
                if (value == NULL) {
                        config_parse_error(p, line, section, k->name, "%s %s", var, why);
                        continue;
                }
                if ((k->flags & CONFIG_K_USERPASS) && strchr(value, ':') == NULL)
                        config_parse_error(p, line, section, k->name, "%s must hold user:password",
                                           var);
                char **slot = config_key_secret(k, base);
                config_secret_free(*slot);
                *slot = value;
        }
}

static bool
same_token(const char *a, const char *b)
{
        if (a == NULL || b == NULL || strlen(a) != strlen(b))
                return false;
        return sodium_memcmp(a, b, strlen(a)) == 0;
}

/* Two roles of one store must not share a token, or the weaker one could do
 * what the stronger may; admin may equal payout when the store allows it. */
static void
check_tokens(struct config_parse *p, struct config_store *st)
{
        const char *name[3] = {"api", "admin", "payout"};
        const char *env[3] = {st->api_token_env, st->admin_token_env, st->payout_token_env};
        const char *tok[3] = {st->api_token, st->admin_token, st->payout_token};
        char label[80];
        for (int a = 0; a < 3; a++) {
                for (int b = a + 1; b < 3; b++) {
                        if (tok[a] == NULL || tok[b] == NULL || !same_token(tok[a], tok[b]))
                                continue;
                        if (a == 1 && b == 2 && st->admin_token_can_payout)
                                continue;
                        config_parse_error(p, st->line, "[[stores]]", NULL,
                                           "%s: the %s token (%s) and the %s token "
                                           "(%s) are the same; give each role its own token%s",
                                           config_store_label(st, label), name[a], env[a], name[b],
                                           env[b],
                                           a == 1 ? " or set admin_token_can_payout = true" : "");
                }
        }
}

void
config_resolve_secrets(struct config_parse *p)
{
        if (p->prog == CONFIG_PROG_API)
                config_guard_environment(p);
        resolve_keys(p, p->cfg, (size_t)-1);
        for (size_t i = 0; i < p->cfg->nstores; i++) {
                resolve_keys(p, &p->cfg->stores[i], i);
                if (p->prog == CONFIG_PROG_API)
                        check_tokens(p, &p->cfg->stores[i]);
        }
}
