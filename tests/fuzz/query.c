/* The query strings of the lists and exports (api/listq.c: filters, limit,
 * cursor, filter times) and the CSV fields the exports write (api/csv.c).
 * Input: one byte for the list (0 invoices, 1 refunds, 2 payments; bit 2: a
 * CSV export), then the query string, which is also written as a CSV text
 * field and read back. */
#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "csv.h"
#include "fuzz.h"
#include "listq.h"

/* 2026-01-02T03:04:05.123456Z, or the sentinel s when given. */
static int
query_ts_ok(const char *ts, const char *s1, const char *s2)
{
        if ((s1 != NULL && strcmp(ts, s1) == 0) || (s2 != NULL && strcmp(ts, s2) == 0))
                return 1;
        static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
        if (strlen(ts) != sizeof(shape) - 1)
                return 0;
        for (size_t i = 0; shape[i]; i++)
                if (shape[i] == 'd' ? !isdigit((unsigned char)ts[i]) : ts[i] != shape[i])
                        return 0;
        return 1;
}

/* The field csv_field wrote, read back as RFC 4180 says: the value. */
static char *
query_unquote(struct evbuffer *b)
{
        size_t n = evbuffer_get_length(b);
        char *raw = malloc(n + 1), *out = malloc(n + 1);
        FUZZ_ASSERT(raw != NULL && out != NULL);
        evbuffer_remove(b, raw, n);
        raw[n] = '\0';
        size_t k = 0;
        if (n > 0 && raw[0] == '"') {
                FUZZ_ASSERT(n >= 2 && raw[n - 1] == '"');
                for (size_t i = 1; i < n - 1; i++) {
                        if (raw[i] == '"') {
                                FUZZ_ASSERT(raw[i + 1] == '"' && i + 1 < n - 1); /* doubled */
                                i++;
                        }
                        out[k++] = raw[i];
                }
        } else {
                /* Unquoted: nothing that would need quotes. */
                FUZZ_ASSERT(strpbrk(raw, ",\"\r\n") == NULL);
                memcpy(out, raw, n);
                k = n;
        }
        out[k] = '\0';
        free(raw);
        return out;
}

static void
query_csv(const char *text)
{
        struct evbuffer *b = evbuffer_new();
        FUZZ_ASSERT(b != NULL);
        FUZZ_ASSERT(csv_field(b, text, CSV_TEXT) == 0);
        char *back = query_unquote(b);
        if (text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL) {
                /* A formula is shown as text: a ' before it, nothing else. */
                FUZZ_ASSERT(back[0] == '\'' && strcmp(back + 1, text) == 0);
        } else {
                FUZZ_ASSERT(strcmp(back, text) == 0);
        }
        free(back);
        char btc[40];
        if (csv_btc(text, btc, sizeof(btc)) == 0) {
                /* Exact: the digits without the point are the satoshis. */
                long long sats = strtoll(text, NULL, 10), again = 0;
                const char *p = btc + (btc[0] == '-');
                const char *dot = strchr(p, '.');
                FUZZ_ASSERT(dot != NULL && strlen(dot + 1) == 8);
                for (const char *q = p; *q; q++)
                        if (q != dot)
                                again = again * 10 + (*q - '0');
                FUZZ_ASSERT(again == (sats < 0 ? -sats : sats));
                FUZZ_ASSERT((btc[0] == '-') == (sats < 0));
        }
        evbuffer_free(b);
}

static void
query_check(const struct listq *q)
{
        FUZZ_ASSERT(query_ts_ok(q->created_after, "-infinity", NULL));
        FUZZ_ASSERT(query_ts_ok(q->created_before, "infinity", NULL));
        FUZZ_ASSERT(query_ts_ok(q->paid_after, "", NULL) && query_ts_ok(q->paid_before, "", NULL));
        FUZZ_ASSERT(query_ts_ok(q->cursor_ts, "infinity", "-infinity"));
        FUZZ_ASSERT(q->limit >= 1 && q->limit <= LISTQ_MAX_LIMIT);
        FUZZ_ASSERT(!q->csv || (q->limit == LISTQ_DEFAULT_LIMIT && q->starting_after == NULL &&
                                strcmp(q->cursor_ts, "-infinity") == 0));
        if (q->metadata != NULL) {
                cJSON *m = cJSON_Parse(q->metadata);
                FUZZ_ASSERT(cJSON_IsObject(m) && cJSON_GetArraySize(m) >= 1 &&
                            cJSON_GetArraySize(m) <= 10);
                for (const cJSON *e = m->child; e != NULL; e = e->next)
                        FUZZ_ASSERT(cJSON_IsString(e));
                cJSON_Delete(m);
        }
        const char *p[LISTQ_PARAMS];
        int n = listq_params(q, "main", q->cursor_ts, q->cursor_id, "21", p);
        FUZZ_ASSERT(n == (q->kind == LISTQ_PAYMENTS ? 8 : q->kind == LISTQ_INVOICES ? 10 : 11));
        /* A cursor the list gives back leads to the same place. */
        if (q->kind != LISTQ_PAYMENTS && !q->csv && q->cursor_id[0] != '\0') {
                char *enc = listq_cursor_encode(q->cursor_ts, q->cursor_id);
                FUZZ_ASSERT(enc != NULL);
                char query[256], err[512];
                snprintf(query, sizeof(query), "cursor=%s", enc);
                struct listq again;
                FUZZ_ASSERT(listq_read(query, q->kind, 0, &again, err, sizeof(err)) == 0);
                FUZZ_ASSERT(strcmp(again.cursor_ts, q->cursor_ts) == 0);
                FUZZ_ASSERT(strcmp(again.cursor_id, q->cursor_id) == 0);
                listq_free(&again);
                free(enc);
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        enum listq_kind kind = (enum listq_kind)(data[0] % 3);
        int csv = (data[0] >> 2) & 1;
        char *text = fuzz_text(data + 1, size - 1);
        char err[512] = "";
        struct listq q;
        int rc = listq_read(text, kind, csv, &q, err, sizeof(err));
        FUZZ_ASSERT(rc == 0 || rc == -1 || rc == -2);
        if (rc == 0)
                query_check(&q);
        else if (rc == -1)
                FUZZ_ASSERT(strchr(err, ':') != NULL || strncmp(err, "the query", 9) == 0);
        listq_free(&q);
        char ts[LISTQ_TS], again[LISTQ_TS];
        if (listq_time(text, ts) == 0) {
                FUZZ_ASSERT(query_ts_ok(ts, NULL, NULL));
                FUZZ_ASSERT(listq_time(ts, again) == 0 && strcmp(ts, again) == 0);
        }
        query_csv(text);
        free(text);
        return 0;
}
