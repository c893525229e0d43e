#include "listq.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/http.h>

#include "hex.h"
#include "rows.h"

#define LISTQ_META_MAX_PAIRS 10
#define LISTQ_META_MAX_KEY   100
#define LISTQ_META_MAX_VALUE 500
#define LISTQ_TEXT_MAX       100 /* a reference is at most 100 characters */

static const char *const listq_invoice_statuses[] = {
    "unpaid", "processing", "paid", "underpaid", "overpaid", "expired", "refunded", NULL};
static const char *const listq_refund_statuses[] = {
    "awaiting_destination", "pending", "processing", "succeeded", "failed", "canceled", NULL};
static const char *const listq_methods[] = {"lightning", "onchain", "manual", NULL};
static const char *const listq_states[] = {"seen", "credited", "removed", NULL};
static const char *const listq_approval_statuses[] = {"not_required", "required", "approved", NULL};

static int
listq_one_of(const char *v, const char *const *set)
{
        for (size_t i = 0; set[i] != NULL; i++)
                if (strcmp(v, set[i]) == 0)
                        return 1;
        return 0;
}

/* n digits at s as a number; -1 when any is not a digit. */
static int
listq_digits(const char *s, int n)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

static int
listq_days_in_month(int y, int m)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), and back. */
static long long
listq_days_from_civil(int y, int m, int d)
{
        y -= m <= 2;
        long long era = (y >= 0 ? y : y - 399) / 400;
        long long yoe = y - era * 400;
        long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void
listq_civil_from_days(long long z, int *y, int *m, int *d)
{
        z += 719468;
        long long era = (z >= 0 ? z : z - 146096) / 146097;
        long long doe = z - era * 146097;
        long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long long mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yoe + era * 400 + (*m <= 2));
}

int
listq_time(const char *in, char out[LISTQ_TS])
{
        size_t len = strlen(in);
        if (len < 10 || in[4] != '-' || in[7] != '-')
                return -1;
        int y = listq_digits(in, 4), mo = listq_digits(in + 5, 2), d = listq_digits(in + 8, 2);
        if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > listq_days_in_month(y, mo))
                return -1;
        int h = 0, mi = 0, s = 0;
        long us = 0, offset_min = 0;
        const char *p = in + 10;
        if (*p != '\0') {
                if ((*p != 'T' && *p != 't') || strlen(p) < 6 || p[3] != ':')
                        return -1;
                h = listq_digits(p + 1, 2);
                mi = listq_digits(p + 4, 2);
                p += 6;
                if (*p == ':') {
                        s = listq_digits(p + 1, 2);
                        p += 3;
                        if (s < 0 || s > 59)
                                return -1;
                        if (*p == '.') {
                                int n = 0;
                                for (p++; isdigit((unsigned char)*p); p++, n++)
                                        if (n < 6)
                                                us = us * 10 + (*p - '0');
                                if (n == 0 || n > 9)
                                        return -1;
                                for (; n < 6; n++)
                                        us *= 10;
                        }
                }
                if (h < 0 || h > 23 || mi < 0 || mi > 59)
                        return -1;
                if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
                        offset_min = 0;
                } else if ((*p == '+' || *p == '-' || *p == ' ') && strlen(p) == 6 && p[3] == ':') {
                        /* A '+' the client did not percent-encode arrives as a space. */
                        int oh = listq_digits(p + 1, 2), om = listq_digits(p + 4, 2);
                        if (oh < 0 || oh > 23 || om < 0 || om > 59)
                                return -1;
                        offset_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
                } else {
                        return -1;
                }
        }
        long long secs =
            listq_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
        if (secs < 0)
                return -1;
        int yy, mm, dd;
        listq_civil_from_days(secs / 86400, &yy, &mm, &dd);
        if (yy > 9999) /* 9999-12-31T23:00-05:00 */
                return -1;
        int rem = (int)(secs % 86400);
        char buf[96];
        int w = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", yy, mm, dd,
                         rem / 3600, rem / 60 % 60, rem % 60, us);
        if (w < 0 || w >= LISTQ_TS)
                return -1;
        memcpy(out, buf, (size_t)w + 1);
        return 0;
}

static void
listq_hex_encode(char *out, const unsigned char *in, size_t n)
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = '\0';
}

/* len hex digits (even) into len / 2 bytes; -1 on any other character. */
static int
listq_hex_decode(unsigned char *out, const char *in, size_t len)
{
        for (size_t i = 0; i + 1 < len; i += 2) {
                int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i / 2] = (unsigned char)(hi << 4 | lo);
        }
        return 0;
}

char *
listq_cursor_encode(const char *ts, const char *id)
{
        char plain[LISTQ_TS + LISTQ_ID + 2];
        int n = snprintf(plain, sizeof(plain), "%s|%s", ts, id);
        if (n < 0 || (size_t)n >= sizeof(plain))
                return NULL;
        char *out = malloc((size_t)n * 2 + 1);
        if (out != NULL)
                listq_hex_encode(out, (const unsigned char *)plain, (size_t)n);
        return out;
}

/* The cursor back into q, checked as strictly as any other input: 0 or -1. */
static int
listq_cursor_decode(struct listq *q, const char *cursor)
{
        size_t len = strlen(cursor);
        unsigned char plain[LISTQ_TS + LISTQ_ID + 2];
        if (len == 0 || len % 2 != 0 || len / 2 >= sizeof(plain) ||
            listq_hex_decode(plain, cursor, len) != 0)
                return -1;
        plain[len / 2] = '\0';
        char *bar = strchr((char *)plain, '|');
        if (bar == NULL)
                return -1;
        *bar = '\0';
        const char *prefix = q->kind == LISTQ_INVOICES ? "inv_" : "rf_";
        if (!ids_valid(bar + 1, prefix) || listq_time((char *)plain, q->cursor_ts) != 0)
                return -1;
        snprintf(q->cursor_id, sizeof(q->cursor_id), "%s", bar + 1);
        return 0;
}

/* metadata[key]=value: one more pair of the containment object. */
static int
listq_metadata(cJSON *obj, const char *key, const char *value)
{
        size_t klen = strlen(key);
        if (klen < 11 || key[klen - 1] != ']' || klen - 10 > LISTQ_META_MAX_KEY)
                return -1;
        char k[LISTQ_META_MAX_KEY + 1];
        memcpy(k, key + 9, klen - 10);
        k[klen - 10] = '\0';
        if (strchr(k, ']') != NULL || strchr(k, '[') != NULL ||
            strlen(value) > LISTQ_META_MAX_VALUE ||
            cJSON_GetArraySize(obj) >= LISTQ_META_MAX_PAIRS ||
            cJSON_GetObjectItemCaseSensitive(obj, k) != NULL)
                return -1;
        return cJSON_AddStringToObject(obj, k, value) != NULL ? 0 : -1;
}

/* Printable text within max bytes, for an exact-match filter. */
static int
listq_text_ok(const char *v, size_t max)
{
        size_t n = strlen(v);
        if (n == 0 || n > max)
                return 0;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
                        return 0;
        return 1;
}

static const char *
listq_allowed(const struct listq *q)
{
        switch (q->kind) {
        case LISTQ_INVOICES:
                return q->csv ? "status, created_after, created_before, paid_after, paid_before, "
                                "metadata[key]"
                              : "status, created_after, created_before, paid_after, paid_before, "
                                "metadata[key], limit, cursor";
        case LISTQ_REFUNDS:
                return q->csv ? "status, approval_status, created_after, created_before, "
                                "invoice_id, reference, metadata[key]"
                              : "status, approval_status, created_after, created_before, "
                                "invoice_id, reference, metadata[key], limit, cursor, "
                                "starting_after";
        case LISTQ_PAYMENTS:
                break;
        }
        return "method, state, created_after, created_before";
}

/* One parameter into q; NULL, or why it is wrong. */
static const char *
listq_one(struct listq *q, const char *k, const char *v, cJSON *meta)
{
        int inv = q->kind == LISTQ_INVOICES, rf = q->kind == LISTQ_REFUNDS;
        int pay = q->kind == LISTQ_PAYMENTS;
        if (strcmp(k, "status") == 0 && !pay) {
                if (!listq_one_of(v, inv ? listq_invoice_statuses : listq_refund_statuses))
                        return inv ? "must be unpaid, processing, paid, underpaid, overpaid, "
                                     "expired or refunded"
                                   : "must be pending, processing, succeeded, failed or canceled";
                q->status = v;
        } else if (strcmp(k, "created_after") == 0 || strcmp(k, "created_before") == 0 ||
                   (inv && (strcmp(k, "paid_after") == 0 || strcmp(k, "paid_before") == 0))) {
                char *out = strcmp(k, "created_after") == 0    ? q->created_after
                            : strcmp(k, "created_before") == 0 ? q->created_before
                            : strcmp(k, "paid_after") == 0     ? q->paid_after
                                                               : q->paid_before;
                if (listq_time(v, out) != 0)
                        return "must be an RFC 3339 time (2026-01-31T23:00:00Z, with Z or an "
                               "offset) or a date (2026-01-31)";
        } else if (strcmp(k, "approval_status") == 0 && rf) {
                if (!listq_one_of(v, listq_approval_statuses))
                        return "must be not_required, required or approved";
                q->approval_status = v;
        } else if (strcmp(k, "invoice_id") == 0 && rf) {
                if (!ids_valid(v, "inv_"))
                        return "must be an invoice id (inv_…)";
                q->invoice_id = v;
        } else if (strcmp(k, "reference") == 0 && rf) {
                if (!listq_text_ok(v, LISTQ_TEXT_MAX))
                        return "must be 1 to 100 printable characters";
                q->reference = v;
        } else if (strncmp(k, "metadata[", 9) == 0 && !pay) {
                if (listq_metadata(meta, k, v) != 0)
                        return "must be metadata[key]=value: a key of 1 to 100 characters "
                               "without brackets, given once, a value of at most 500, at most "
                               "10 pairs";
        } else if (strcmp(k, "method") == 0 && pay) {
                if (!listq_one_of(v, listq_methods))
                        return "must be lightning, onchain or manual";
                q->method = v;
        } else if (strcmp(k, "state") == 0 && pay) {
                if (!listq_one_of(v, listq_states))
                        return "must be seen, credited or removed";
                q->state = v;
        } else if (q->csv && (strcmp(k, "limit") == 0 || strcmp(k, "cursor") == 0 ||
                              strcmp(k, "starting_after") == 0)) {
                return "does not apply to a CSV export: it streams every row that matches";
        } else if (strcmp(k, "limit") == 0 && !pay) {
                char *end = NULL;
                q->limit = strtol(v, &end, 10);
                if (end == v || *end != '\0' || q->limit < 1 || q->limit > LISTQ_MAX_LIMIT)
                        return "must be an integer from 1 to 100";
        } else if (strcmp(k, "cursor") == 0 && !pay) {
                if (listq_cursor_decode(q, v) != 0)
                        return "is not a cursor this list gave (next_cursor)";
        } else if (strcmp(k, "starting_after") == 0 && rf) {
                if (!ids_valid(v, "rf_"))
                        return "must be a refund id";
                q->starting_after = v;
        } else {
                return NULL; /* unknown: the caller names the allowed ones */
        }
        return "";
}

int
listq_read(const char *query, enum listq_kind kind, int csv, struct listq *q, char *err,
           size_t errsize)
{
        memset(q, 0, sizeof(*q));
        TAILQ_INIT(&q->q);
        q->kind = kind;
        q->csv = csv;
        q->limit = LISTQ_DEFAULT_LIMIT;
        snprintf(q->created_after, LISTQ_TS, "-infinity");
        snprintf(q->created_before, LISTQ_TS, "infinity");
        /* Lists are newest first, exports oldest first: the sentinel sorts
         * before every row in that order. */
        snprintf(q->cursor_ts, LISTQ_TS, "%s", csv ? "-infinity" : "infinity");
        snprintf(q->cursor_id, LISTQ_ID, "%s", kind == LISTQ_PAYMENTS ? "0" : "");
        if (query != NULL && evhttp_parse_query_str(query, &q->q) != 0) {
                snprintf(err, errsize, "the query string cannot be parsed");
                return -1;
        }
        /* evhttp decodes the values only: a client that encodes the brackets
         * of metadata[key] (%5B %5D, as most do) means the same parameter.
         * Decoding only shrinks, so the key is decoded in place. */
        for (struct evkeyval *kv = q->q.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
                char *key = evhttp_uridecode(kv->key, 0, NULL);
                if (key == NULL)
                        return -2;
                memcpy(kv->key, key, strlen(key) + 1);
                free(key);
        }
        cJSON *meta = cJSON_CreateObject();
        if (meta == NULL)
                return -2;
        int rc = 0;
        for (struct evkeyval *kv = q->q.tqh_first; kv != NULL && rc == 0; kv = kv->next.tqe_next) {
                /* Each parameter once (metadata keys are checked by key). */
                for (struct evkeyval *p = q->q.tqh_first; p != kv && rc == 0;
                     p = p->next.tqe_next) {
                        if (strcmp(p->key, kv->key) == 0 && strncmp(kv->key, "metadata[", 9)) {
                                snprintf(err, errsize, "%.40s: given more than once", kv->key);
                                rc = -1;
                        }
                }
                if (rc != 0)
                        break;
                const char *why = listq_one(q, kv->key, kv->value, meta);
                if (why == NULL) {
                        snprintf(err, errsize,
                                 "%.40s: unknown query parameter (this route takes %s)", kv->key,
                                 listq_allowed(q));
                        rc = -1;
                } else if (*why != '\0') {
                        snprintf(err, errsize, "%.40s: %s (got '%.64s')", kv->key, why, kv->value);
                        rc = -1;
                }
        }
        if (rc == 0 && q->starting_after != NULL && strcmp(q->cursor_ts, "infinity") != 0) {
                snprintf(err, errsize, "cursor: give cursor or starting_after, not both");
                rc = -1;
        }
        if (rc == 0 && cJSON_GetArraySize(meta) > 0 &&
            (q->metadata = cJSON_PrintUnformatted(meta)) == NULL)
                rc = -2;
        cJSON_Delete(meta);
        return rc;
}

int
listq_parse(struct http_ctx *c, enum listq_kind kind, int csv, struct listq *q)
{
        char err[512];
        const char *query = http_query(c);
        int rc = listq_read(query, kind, csv, q, err, sizeof(err));
        if (rc == -1)
                http_error(c, 400, "invalid_query", "%s", err);
        else if (rc != 0)
                http_error(c, 500, "internal", "out of memory");
        return rc == 0 ? 0 : -1;
}

void
listq_free(struct listq *q)
{
        evhttp_clear_headers(&q->q);
        free(q->metadata);
        q->metadata = NULL;
}

static const char *
listq_opt(const char *s)
{
        return s != NULL && *s != '\0' ? s : NULL;
}

int
listq_params(const struct listq *q, const char *store, const char *ts, const char *id,
             const char *limit, const char **p)
{
        p[0] = store;
        if (q->kind == LISTQ_PAYMENTS) {
                p[1] = q->method;
                p[2] = q->state;
                p[3] = q->created_after;
                p[4] = q->created_before;
                p[5] = ts;
                p[6] = id;
                p[7] = limit;
                return 8;
        }
        p[1] = q->status;
        p[2] = q->created_after;
        p[3] = q->created_before;
        if (q->kind == LISTQ_INVOICES) {
                p[4] = listq_opt(q->paid_after);
                p[5] = listq_opt(q->paid_before);
        } else {
                p[4] = q->invoice_id;
                p[5] = q->reference;
        }
        p[6] = q->metadata;
        p[7] = ts;
        p[8] = id;
        p[9] = limit;
        if (q->kind == LISTQ_INVOICES)
                return 10;
        p[10] = q->approval_status;
        return 11;
}

void
listq_reply_page(struct http_ctx *c, const PGresult *r, long limit)
{
        int n = PQntuples(r);
        int more = n > limit;
        if (more)
                n = (int)limit;
        char *cursor = NULL;
        if (more && (cursor = listq_cursor_encode(PQgetvalue(r, n - 1, 1),
                                                  PQgetvalue(r, n - 1, 2))) == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        char *text = rows_json_page(r, n, more, cursor);
        free(cursor);
        if (text == NULL) {
                http_error(c, 500, "internal", "out of memory");
                return;
        }
        http_reply_text(c, 200, text);
        free(text);
}
