#include "journal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_SUM_BYTES 16
#define JOURNAL_SUM_HEX   (2 * JOURNAL_SUM_BYTES)

struct journal {
        char *path;
        int fd;
        int readonly;
        int locked;
        off_t off; /* bytes read and applied */
        struct journal_entry *e;
        size_t n, cap;
        size_t *slot; /* open addressing: index + 1, 0 empty */
        size_t nslot;
        size_t torn;
};

static void
journal_err(char *err, size_t errlen, const char *fmt, const char *path, const char *what)
{
        snprintf(err, errlen, fmt, path, what);
}

const char *
journal_state_name(enum journal_state s)
{
        static const char *const names[] = {"started",  "succeeded", "failed",
                                            "deferred", "unknown",   "torn"};
        return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int
journal_state_parse(const char *s, enum journal_state *out)
{
        for (int i = JOURNAL_SUCCEEDED; i <= JOURNAL_UNKNOWN; i++)
                if (strcmp(s, journal_state_name((enum journal_state)i)) == 0) {
                        *out = (enum journal_state)i;
                        return 0;
                }
        return -1;
}

/* Refund ids are [A-Za-z0-9_-]: nothing that could split a record. */
static int
journal_id_ok(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 64)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

static size_t
journal_hash(const char *id)
{
        size_t h = 1469598103934665603u;
        for (; *id; id++)
                h = (h ^ (unsigned char)*id) * 1099511628211u;
        return h;
}

static int
journal_rehash(struct journal *j, size_t nslot)
{
        size_t *slot = calloc(nslot, sizeof(*slot));
        if (slot == NULL)
                return -1;
        for (size_t i = 0; i < j->n; i++) {
                size_t k = journal_hash(j->e[i].id) & (nslot - 1);
                while (slot[k] != 0)
                        k = (k + 1) & (nslot - 1);
                slot[k] = i + 1;
        }
        free(j->slot);
        j->slot = slot;
        j->nslot = nslot;
        return 0;
}

static struct journal_entry *
journal_lookup(const struct journal *j, const char *id)
{
        if (j->nslot == 0)
                return NULL;
        size_t k = journal_hash(id) & (j->nslot - 1);
        while (j->slot[k] != 0) {
                struct journal_entry *e = &j->e[j->slot[k] - 1];
                if (strcmp(e->id, id) == 0)
                        return e;
                k = (k + 1) & (j->nslot - 1);
        }
        return NULL;
}

/* The entry of id, added when new. NULL on allocation failure. */
static struct journal_entry *
journal_entry_get(struct journal *j, const char *id)
{
        struct journal_entry *e = journal_lookup(j, id);
        if (e != NULL)
                return e;
        if (j->n + 1 > j->nslot / 2 && journal_rehash(j, j->nslot ? j->nslot * 2 : 256) != 0)
                return NULL;
        if (j->n == j->cap) {
                size_t cap = j->cap ? j->cap * 2 : 128;
                struct journal_entry *ne = realloc(j->e, cap * sizeof(*ne));
                if (ne == NULL)
                        return NULL;
                j->e = ne;
                j->cap = cap;
        }
        e = &j->e[j->n];
        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%s", id);
        e->fee_sats = -1;
        e->state = JOURNAL_STARTED;
        size_t k = journal_hash(id) & (j->nslot - 1);
        while (j->slot[k] != 0)
                k = (k + 1) & (j->nslot - 1);
        j->slot[k] = ++j->n;
        return e;
}

static void
journal_copy(char *dst, size_t len, const cJSON *obj, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t
journal_int(const cJSON *obj, const char *key, int64_t dflt)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        return cJSON_IsString(v) ? strtoll(v->valuestring, NULL, 10) : dflt;
}

static void
journal_sum(const char *data, size_t len, char hex[JOURNAL_SUM_HEX + 1])
{
        unsigned char sum[JOURNAL_SUM_BYTES];
        crypto_generichash(sum, sizeof(sum), (const unsigned char *)data, len, NULL, 0);
        for (size_t i = 0; i < sizeof(sum); i++)
                snprintf(hex + 2 * i, 3, "%02x", sum[i]);
}

/* A damaged record: when its type and whole refund id can be read, that
 * refund counts as started (its call may have happened). */
static int
journal_apply_torn(struct journal *j, const char *line, size_t len)
{
        j->torn++;
        if (len < 3 || (line[0] != 'S' && line[0] != 'O') || line[1] != '\t')
                return 0;
        const char *id = line + 2, *tab = memchr(id, '\t', len - 2);
        if (tab == NULL || tab - id > 64)
                return 0;
        char buf[65];
        memcpy(buf, id, (size_t)(tab - id));
        buf[tab - id] = '\0';
        if (!journal_id_ok(buf))
                return 0;
        struct journal_entry *e = journal_entry_get(j, buf);
        if (e == NULL)
                return -1;
        e->state = JOURNAL_TORN;
        return 0;
}

/* Applies one line (without its '\n'). -1 only on allocation failure. */
static int
journal_apply(struct journal *j, const char *line, size_t len)
{
        if (len == 0)
                return 0;
        if (len < JOURNAL_SUM_HEX + 6 || line[len - JOURNAL_SUM_HEX - 1] != '\t')
                return journal_apply_torn(j, line, len);
        size_t body = len - JOURNAL_SUM_HEX - 1;
        char sum[JOURNAL_SUM_HEX + 1];
        journal_sum(line, body, sum);
        if (memcmp(sum, line + body + 1, JOURNAL_SUM_HEX) != 0)
                return journal_apply_torn(j, line, len);
        char *text = strndup(line, body);
        if (text == NULL)
                return -1;
        char *id = text + 2, *json = strchr(id, '\t');
        cJSON *obj = NULL;
        int rc = 0;
        if (text[1] != '\t' || json == NULL)
                goto torn;
        *json++ = '\0';
        obj = cJSON_Parse(json);
        if (!journal_id_ok(id) || !cJSON_IsObject(obj))
                goto torn;
        struct journal_entry *e = journal_entry_get(j, id);
        if (e == NULL) {
                rc = -1;
                goto out;
        }
        if (text[0] == 'S') {
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(obj, "destination");
                char *dest = strdup(cJSON_IsString(d) ? d->valuestring : "");
                if (dest == NULL) {
                        rc = -1;
                        goto out;
                }
                free(e->destination);
                e->destination = dest;
                journal_copy(e->store, sizeof(e->store), obj, "store");
                journal_copy(e->invoice, sizeof(e->invoice), obj, "invoice");
                journal_copy(e->backend, sizeof(e->backend), obj, "backend");
                e->amount_sats = journal_int(obj, "amount_sats", 0);
                e->attempt = (int)journal_int(obj, "attempt", 0);
                e->time = journal_int(obj, "time", 0);
                e->state = JOURNAL_STARTED;
                e->tx_id[0] = e->proof[0] = e->payment_hash[0] = '\0';
                e->fee_sats = -1;
        } else if (text[0] == 'O') {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, "outcome");
                enum journal_state st;
                if (!cJSON_IsString(o) || journal_state_parse(o->valuestring, &st) != 0)
                        goto torn;
                e->state = st;
                journal_copy(e->tx_id, sizeof(e->tx_id), obj, "tx_id");
                journal_copy(e->proof, sizeof(e->proof), obj, "proof");
                journal_copy(e->payment_hash, sizeof(e->payment_hash), obj, "payment_hash");
                e->fee_sats = journal_int(obj, "fee_sats", -1);
        } else if (text[0] == 'A') {
                e->acked = 1;
        } else {
                goto torn;
        }
        goto out;
torn:
        rc = journal_apply_torn(j, line, len);
out:
        cJSON_Delete(obj);
        free(text);
        return rc;
}

/* Reads and applies everything past j->off. Under the lock an unterminated
 * last line can only be a write that a crash cut short: it is torn. */
static int
journal_read(struct journal *j, char *err, size_t errlen)
{
        struct stat st;
        if (fstat(j->fd, &st) != 0) {
                journal_err(err, errlen, "journal %s: %s", j->path, strerror(errno));
                return -1;
        }
        if (st.st_size <= j->off)
                return 0;
        size_t len = (size_t)(st.st_size - j->off);
        char *buf = malloc(len + 1);
        if (buf == NULL) {
                journal_err(err, errlen, "journal %s: %s", j->path, "out of memory");
                return -1;
        }
        size_t got = 0;
        while (got < len) {
                ssize_t r = pread(j->fd, buf + got, len - got, j->off + (off_t)got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        journal_err(err, errlen, "journal %s: cannot read it: %s", j->path,
                                    r < 0 ? strerror(errno) : "shorter than its size");
                        free(buf);
                        return -1;
                }
                got += (size_t)r;
        }
        size_t start = 0;
        int rc = 0;
        for (size_t i = 0; i < len && rc == 0; i++)
                if (buf[i] == '\n') {
                        rc = journal_apply(j, buf + start, i - start);
                        start = i + 1;
                }
        if (rc == 0 && start < len) {
                rc = journal_apply_torn(j, buf + start, len - start);
                /* Ends the torn line, so that the next record starts clean. */
                if (rc == 0 && !j->readonly && write(j->fd, "\n", 1) != 1) {
                        journal_err(err, errlen, "journal %s: cannot end a torn record: %s",
                                    j->path, strerror(errno));
                        free(buf);
                        return -1;
                }
                if (!j->readonly)
                        len++;
        }
        free(buf);
        if (rc != 0) {
                journal_err(err, errlen, "journal %s: %s", j->path, "out of memory");
                return -1;
        }
        j->off += (off_t)len;
        return 0;
}

static struct journal *
journal_new(const char *path, int fd, int readonly)
{
        struct journal *j = calloc(1, sizeof(*j));
        if (j == NULL || (j->path = strdup(path)) == NULL) {
                free(j);
                return NULL;
        }
        j->fd = fd;
        j->readonly = readonly;
        return j;
}

/* The file must be a regular file: /dev/full or a fifo is no journal. */
static struct journal *
journal_start(const char *path, int fd, int readonly, char *err, size_t errlen)
{
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                journal_err(err, errlen, "journal %s: %s", path, "is not a regular file");
                close(fd);
                return NULL;
        }
        struct journal *j = journal_new(path, fd, readonly);
        if (j == NULL) {
                journal_err(err, errlen, "journal %s: %s", path, "out of memory");
                close(fd);
                return NULL;
        }
        if (journal_lock(j, err, errlen) != 0 || journal_unlock(j, 0, err, errlen) != 0) {
                journal_free(j);
                return NULL;
        }
        return j;
}

struct journal *
journal_open(const char *path, char *err, size_t errlen)
{
        int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 && errno == EEXIST)
                        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
                else if (fd >= 0) {
                        /* The new name must survive a crash as well as its records. */
                        char *copy = strdup(path);
                        int dfd =
                            copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
                        int ok = dfd >= 0 && fsync(dfd) == 0;
                        if (dfd >= 0)
                                close(dfd);
                        free(copy);
                        if (!ok) {
                                journal_err(err, errlen,
                                            "journal %s: cannot sync its directory: %s", path,
                                            strerror(errno));
                                close(fd);
                                return NULL;
                        }
                }
        }
        if (fd < 0) {
                journal_err(err, errlen, "journal %s: cannot open it for writing: %s", path,
                            strerror(errno));
                return NULL;
        }
        return journal_start(path, fd, 0, err, errlen);
}

struct journal *
journal_open_readonly(const char *path, char *err, size_t errlen)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                journal_err(err, errlen, "journal %s: cannot open it: %s", path, strerror(errno));
                return NULL;
        }
        return journal_start(path, fd, 1, err, errlen);
}

void
journal_free(struct journal *j)
{
        if (j == NULL)
                return;
        if (j->fd >= 0)
                close(j->fd);
        for (size_t i = 0; i < j->n; i++)
                free(j->e[i].destination);
        free(j->e);
        free(j->slot);
        free(j->path);
        free(j);
}

const char *
journal_path(const struct journal *j)
{
        return j->path;
}

int
journal_lock(struct journal *j, char *err, size_t errlen)
{
        while (flock(j->fd, j->readonly ? LOCK_SH : LOCK_EX) != 0) {
                if (errno != EINTR) {
                        journal_err(err, errlen, "journal %s: cannot lock it: %s", j->path,
                                    strerror(errno));
                        return -1;
                }
        }
        j->locked = 1;
        if (journal_read(j, err, errlen) != 0) {
                flock(j->fd, LOCK_UN);
                j->locked = 0;
                return -1;
        }
        return 0;
}

int
journal_unlock(struct journal *j, int sync, char *err, size_t errlen)
{
        int rc = 0;
        if (sync && !j->readonly && fdatasync(j->fd) != 0) {
                journal_err(err, errlen, "journal %s: cannot sync it: %s", j->path,
                            strerror(errno));
                rc = -1;
        }
        flock(j->fd, LOCK_UN);
        j->locked = 0;
        return rc;
}

int
journal_sync(struct journal *j, char *err, size_t errlen)
{
        if (j->readonly || fdatasync(j->fd) == 0)
                return 0;
        journal_err(err, errlen, "journal %s: cannot sync it: %s", j->path, strerror(errno));
        return -1;
}

int
journal_refresh(struct journal *j, char *err, size_t errlen)
{
        if (journal_lock(j, err, errlen) != 0)
                return -1;
        return journal_unlock(j, 0, err, errlen);
}

/* Writes TYPE\tID\tJSON\tSUM\n whole, or cuts the file back to where it was. */
static int
journal_append(struct journal *j, char type, const char *id, cJSON *obj, char *err, size_t errlen)
{
        char *json = obj ? cJSON_PrintUnformatted(obj) : NULL;
        cJSON_Delete(obj);
        if (j->readonly || !j->locked || !journal_id_ok(id) || json == NULL) {
                free(json);
                journal_err(err, errlen, "journal %s: %s", j->path,
                            j->readonly || !j->locked ? "not locked for writing"
                                                      : "bad refund id or out of memory");
                return -1;
        }
        size_t cap = strlen(id) + strlen(json) + JOURNAL_SUM_HEX + 8;
        char *line = malloc(cap);
        if (line == NULL) {
                free(json);
                journal_err(err, errlen, "journal %s: %s", j->path, "out of memory");
                return -1;
        }
        int body = snprintf(line, cap, "%c\t%s\t%s", type, id, json);
        free(json);
        char sum[JOURNAL_SUM_HEX + 1];
        journal_sum(line, (size_t)body, sum);
        int len = snprintf(line + body, cap - (size_t)body, "\t%s\n", sum) + body;
        size_t done = 0;
        while (done < (size_t)len) {
                ssize_t w = write(j->fd, line + done, (size_t)len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        int e = w < 0 ? errno : ENOSPC;
                        /* Under the lock nobody else wrote past off: cut our part. */
                        if (done > 0 && ftruncate(j->fd, j->off) != 0)
                                e = errno;
                        journal_err(err, errlen, "journal %s: cannot write it: %s", j->path,
                                    strerror(e));
                        free(line);
                        return -1;
                }
                done += (size_t)w;
        }
        int rc = journal_apply(j, line, (size_t)len - 1);
        free(line);
        j->off += len;
        if (rc != 0) {
                journal_err(err, errlen, "journal %s: %s", j->path, "out of memory");
                return -1;
        }
        return 0;
}

static void
journal_add_int(cJSON *obj, const char *key, int64_t v)
{
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", (long long)v);
        cJSON_AddStringToObject(obj, key, buf);
}

int
journal_append_start(struct journal *j, const struct journal_start *s, char *err, size_t errlen)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "store", s->store);
        cJSON_AddStringToObject(o, "invoice", s->invoice ? s->invoice : "");
        cJSON_AddStringToObject(o, "backend", s->backend);
        cJSON_AddStringToObject(o, "destination", s->destination);
        journal_add_int(o, "amount_sats", s->amount_sats);
        journal_add_int(o, "attempt", s->attempt);
        journal_add_int(o, "time", (int64_t)time(NULL));
        return journal_append(j, 'S', s->id, o, err, errlen);
}

int
journal_append_outcome(struct journal *j, const struct journal_outcome *oc, char *err,
                       size_t errlen)
{
        cJSON *o = cJSON_CreateObject();
        journal_add_int(o, "attempt", oc->attempt);
        cJSON_AddStringToObject(o, "outcome", journal_state_name(oc->state));
        if (oc->tx_id && oc->tx_id[0])
                cJSON_AddStringToObject(o, "tx_id", oc->tx_id);
        if (oc->proof && oc->proof[0])
                cJSON_AddStringToObject(o, "proof", oc->proof);
        if (oc->payment_hash && oc->payment_hash[0])
                cJSON_AddStringToObject(o, "payment_hash", oc->payment_hash);
        if (oc->fee_sats >= 0)
                journal_add_int(o, "fee_sats", oc->fee_sats);
        journal_add_int(o, "time", (int64_t)time(NULL));
        return journal_append(j, 'O', oc->id, o, err, errlen);
}

int
journal_append_ack(struct journal *j, const char *id, char *err, size_t errlen)
{
        cJSON *o = cJSON_CreateObject();
        journal_add_int(o, "time", (int64_t)time(NULL));
        return journal_append(j, 'A', id, o, err, errlen);
}

const struct journal_entry *
journal_find(const struct journal *j, const char *id)
{
        return journal_lookup(j, id);
}

int
journal_started(const struct journal *j, const char *id)
{
        const struct journal_entry *e = journal_lookup(j, id);
        return e != NULL && e->state != JOURNAL_DEFERRED &&
               !(e->state == JOURNAL_STARTED && e->attempt == 0 && e->store[0] == '\0');
}

size_t
journal_count(const struct journal *j)
{
        return j->n;
}

const struct journal_entry *
journal_at(const struct journal *j, size_t i)
{
        return i < j->n ? &j->e[i] : NULL;
}

size_t
journal_torn_records(const struct journal *j)
{
        return j->torn;
}
