#include "csv.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int
csv_btc(const char *sats, char *out, size_t size)
{
        const char *p = sats;
        int neg = *p == '-';
        p += neg;
        size_t n = strlen(p);
        if (n == 0 || n > 18) /* within int64, whatever the digits */
                return -1;
        int64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        int w = snprintf(out, size, "%s%" PRId64 ".%08" PRId64, neg && v != 0 ? "-" : "",
                         v / 100000000, v % 100000000);
        return w < 0 || (size_t)w >= size ? -1 : 0;
}

/* Spreadsheets run a cell that starts with one of these as a formula
 * (OWASP "CSV injection"): such text is shown with a ' in front. */
static int
csv_formula_start(const char *v)
{
        return v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;
}

int
csv_field(struct evbuffer *out, const char *v, enum csv_kind kind)
{
        if (v == NULL)
                return 0;
        char btc[40];
        if (kind == CSV_BTC) {
                if (csv_btc(v, btc, sizeof(btc)) != 0)
                        return -1;
                v = btc;
        } else if (kind == CSV_BOOL) {
                v = v[0] == 't' ? "true" : "false";
        }
        int neutral = kind == CSV_TEXT && csv_formula_start(v);
        int quote = neutral || strpbrk(v, ",\"\r\n") != NULL;
        if (!quote)
                return evbuffer_add(out, v, strlen(v));
        if (evbuffer_add(out, neutral ? "\"'" : "\"", neutral ? 2 : 1) != 0)
                return -1;
        for (const char *q; (q = strchr(v, '"')) != NULL; v = q + 1)
                if (evbuffer_add(out, v, (size_t)(q - v) + 1) != 0 || evbuffer_add(out, "\"", 1))
                        return -1;
        return evbuffer_add(out, v, strlen(v)) != 0 || evbuffer_add(out, "\"", 1) != 0 ? -1 : 0;
}

int
csv_row(struct evbuffer *out, const PGresult *r, int row, const enum csv_kind *kinds, int ncols)
{
        for (int k = 0; k < ncols; k++) {
                const char *v = PQgetisnull(r, row, k) ? NULL : PQgetvalue(r, row, k);
                if ((k > 0 && evbuffer_add(out, ",", 1) != 0) || csv_field(out, v, kinds[k]) != 0)
                        return -1;
        }
        return evbuffer_add(out, "\r\n", 2);
}
