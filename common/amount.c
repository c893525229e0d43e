#include "amount.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

#define SATS_PER_BTC 100000000LL

/* Deeper bodies are refused: no request of ours nests more than a few levels,
 * and the recursion below must stay bounded. */
#define AMOUNT_JSON_DEPTH 64

__attribute__((format(printf, 3, 4))) static int
amount_fail(char *err, size_t errsz, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
        return -1;
}

static int
amount_is_digit(char c)
{
        return c >= '0' && c <= '9';
}

int
amount_from_json(const cJSON *item, int64_t min, int64_t *out, char *err, size_t errsz)
{
        int64_t v;
        if (min < -AMOUNT_MAX_SATS || min > AMOUNT_MAX_SATS)
                return amount_fail(err, errsz, "invalid minimum amount");
        if (cJSON_IsNumber(item)) {
                double d = item->valuedouble;
                /* Converting is only defined inside the int64 range; outside
                 * it every double is integral and fails the range test. */
                if (!isfinite(d) || (d > -9.0e18 && d < 9.0e18 && (double)(int64_t)d != d))
                        return amount_fail(err, errsz, "must be an integer number of satoshis");
                if (d < (double)min)
                        return amount_fail(err, errsz, "must be at least %lld", (long long)min);
                if (d > (double)AMOUNT_MAX_SATS)
                        return amount_fail(err, errsz, "exceeds 21000000 BTC");
                v = (int64_t)d;
        } else if (cJSON_IsString(item) && item->valuestring != NULL) {
                const char *s = item->valuestring;
                size_t n = strlen(s);
                for (size_t i = 0; i < n; i++)
                        if (!amount_is_digit(s[i]))
                                return amount_fail(err, errsz,
                                                   "must be an integer number of satoshis");
                if (n == 0 || (n > 1 && s[0] == '0'))
                        return amount_fail(err, errsz, "must be an integer number of satoshis");
                if (n > 16)
                        return amount_fail(err, errsz, "exceeds 21000000 BTC");
                v = 0;
                for (size_t i = 0; i < n; i++)
                        v = v * 10 + (s[i] - '0');
                if (v > AMOUNT_MAX_SATS)
                        return amount_fail(err, errsz, "exceeds 21000000 BTC");
                if (v < min)
                        return amount_fail(err, errsz, "must be at least %lld", (long long)min);
        } else {
                return amount_fail(err, errsz, "must be an integer number of satoshis");
        }
        *out = v;
        return 0;
}

int
amount_format_btc(int64_t sats, char *buf, size_t bufsz)
{
        if (buf == NULL || bufsz == 0)
                return -1;
        buf[0] = '\0';
        if (sats < 0 || sats > AMOUNT_MAX_SATS)
                return -1;
        int n = snprintf(buf, bufsz, "%lld.%08lld", (long long)(sats / SATS_PER_BTC),
                         (long long)(sats % SATS_PER_BTC));
        if (n < 0 || (size_t)n >= bufsz) {
                buf[0] = '\0';
                return -1;
        }
        return 0;
}

int
amount_parse_btc(const char *text, size_t len, int64_t *sats)
{
        size_t i = 0;
        int neg = 0;
        if (text == NULL || len == 0)
                return -1;
        if (text[0] == '-') {
                neg = 1;
                i = 1;
        }
        size_t start = i;
        int64_t whole = 0;
        while (i < len && amount_is_digit(text[i])) {
                /* 9 digits would be at least 100000000 BTC: refuse before
                 * the product can grow. */
                if (i - start >= 8)
                        return -1;
                whole = whole * 10 + (text[i] - '0');
                i++;
        }
        if (i == start || (i - start > 1 && text[start] == '0'))
                return -1;
        int64_t frac = 0;
        if (i < len && text[i] == '.') {
                size_t fstart = ++i;
                while (i < len && amount_is_digit(text[i])) {
                        if (i - fstart >= 8)
                                return -1;
                        frac = frac * 10 + (text[i] - '0');
                        i++;
                }
                if (i == fstart)
                        return -1;
                for (size_t k = i - fstart; k < 8; k++)
                        frac *= 10;
        }
        if (i != len)
                return -1;
        int64_t v = whole * SATS_PER_BTC + frac;
        if (v > AMOUNT_MAX_SATS)
                return -1;
        *sats = neg ? -v : v;
        return 0;
}

int
amount_msat_to_sat(int64_t msat, int64_t *sats)
{
        if (msat < 0 || msat > AMOUNT_MAX_SATS * 1000 || msat % 1000 != 0)
                return -1;
        *sats = msat / 1000;
        return 0;
}

/* --- raw JSON scan ------------------------------------------------------- */

struct amount_scan {
        const char *p;
        char *err;
        size_t errsz;
};

static void
amount_scan_ws(struct amount_scan *s)
{
        while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
                s->p++;
}

static int
amount_scan_bad(struct amount_scan *s)
{
        return amount_fail(s->err, s->errsz, "request body is not valid JSON");
}

/* Reads a string at s->p (on its opening quote). With name set, decodes it
 * as cJSON would for a key: printable ASCII kept (others shown as '?'),
 * sats set when it ends in "_sats" ignoring case. cJSON keeps a key as a C
 * string, so a \u0000 ends it there: so does this. */
static int
amount_scan_string(struct amount_scan *s, char *name, size_t namesz, int *sats)
{
        char tail[5] = {0}; /* the last 5 characters, lowercased */
        size_t nlen = 0, count = 0;
        int ended = 0;
        s->p++;
        for (;;) {
                unsigned char c = (unsigned char)*s->p;
                unsigned code;
                if (c == '\0' || c < 0x20)
                        return amount_scan_bad(s);
                s->p++;
                if (c == '"')
                        break;
                if (c != '\\') {
                        code = c;
                } else {
                        char e = *s->p;
                        if (e == '\0')
                                return amount_scan_bad(s);
                        s->p++;
                        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                        const char *hit = e ? strchr(from, e) : NULL;
                        if (hit) {
                                code = (unsigned char)to[hit - from];
                        } else if (e == 'u') {
                                code = 0;
                                for (int k = 0; k < 4; k++) {
                                        int h = hex_digit(*s->p);
                                        if (h < 0)
                                                return amount_scan_bad(s);
                                        code = code * 16 + (unsigned)h;
                                        s->p++;
                                }
                        } else {
                                return amount_scan_bad(s);
                        }
                }
                if (name == NULL || ended)
                        continue;
                if (code == 0) {
                        ended = 1;
                        continue;
                }
                char ch = code >= 0x20 && code < 0x7f ? (char)code : '?';
                char lc = code < 0x80 ? (char)code : '\x80';
                if (lc >= 'A' && lc <= 'Z')
                        lc = (char)(lc - 'A' + 'a');
                memmove(tail, tail + 1, 4);
                tail[4] = lc;
                count++;
                if (nlen + 1 < namesz)
                        name[nlen++] = ch;
        }
        if (name != NULL) {
                name[nlen] = '\0';
                *sats = count >= 5 && memcmp(tail, "_sats", 5) == 0;
        }
        return 0;
}

/* JSON number grammar; amounts take digits only. */
static int
amount_scan_number(struct amount_scan *s, int is_amount, const char *key)
{
        const char *p = s->p;
        int neg = 0, frac = 0, expo = 0;
        if (*p == '-') {
                neg = 1;
                p++;
        }
        const char *digits = p;
        if (*p == '0')
                p++;
        else if (*p >= '1' && *p <= '9')
                while (amount_is_digit(*p))
                        p++;
        else
                return amount_scan_bad(s);
        size_t ndigits = (size_t)(p - digits);
        if (*p == '.') {
                frac = 1;
                p++;
                if (!amount_is_digit(*p))
                        return amount_scan_bad(s);
                while (amount_is_digit(*p))
                        p++;
        }
        if (*p == 'e' || *p == 'E') {
                expo = 1;
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (!amount_is_digit(*p))
                        return amount_scan_bad(s);
                while (amount_is_digit(*p))
                        p++;
        }
        s->p = p;
        if (is_amount && (frac || expo))
                return amount_fail(s->err, s->errsz, "%s must be an integer number of satoshis",
                                   key);
        if (is_amount && neg)
                return amount_fail(s->err, s->errsz, "%s must not be negative", key);
        /* The range too, from the digits: the double cJSON makes of them is
         * read only once they are known to fit. */
        if (is_amount &&
            (ndigits > 16 || (ndigits == 16 && memcmp(digits, "2100000000000000", 16) > 0)))
                return amount_fail(s->err, s->errsz, "%s exceeds 21000000 BTC", key);
        return 0;
}

static int
amount_scan_value(struct amount_scan *s, int depth, int is_amount, const char *key)
{
        if (depth > AMOUNT_JSON_DEPTH)
                return amount_fail(s->err, s->errsz, "request body is nested too deeply");
        amount_scan_ws(s);
        char c = *s->p;
        if (c == '{') {
                s->p++;
                amount_scan_ws(s);
                if (*s->p == '}') {
                        s->p++;
                        return 0;
                }
                for (;;) {
                        char name[65];
                        int sats = 0;
                        amount_scan_ws(s);
                        if (*s->p != '"' || amount_scan_string(s, name, sizeof(name), &sats) < 0)
                                return amount_scan_bad(s);
                        amount_scan_ws(s);
                        if (*s->p != ':')
                                return amount_scan_bad(s);
                        s->p++;
                        if (amount_scan_value(s, depth + 1, sats, name) < 0)
                                return -1;
                        amount_scan_ws(s);
                        if (*s->p == '}') {
                                s->p++;
                                return 0;
                        }
                        if (*s->p != ',')
                                return amount_scan_bad(s);
                        s->p++;
                }
        }
        if (c == '[') {
                s->p++;
                amount_scan_ws(s);
                if (*s->p == ']') {
                        s->p++;
                        return 0;
                }
                for (;;) {
                        /* Elements of an amount array are amounts too. */
                        if (amount_scan_value(s, depth + 1, is_amount, key) < 0)
                                return -1;
                        amount_scan_ws(s);
                        if (*s->p == ']') {
                                s->p++;
                                return 0;
                        }
                        if (*s->p != ',')
                                return amount_scan_bad(s);
                        s->p++;
                }
        }
        if (c == '"') {
                /* cJSON would cut "1\u00005" to "1": an amount string has
                 * digits only, so any escape in it is refused here. */
                const char *start = s->p;
                if (amount_scan_string(s, NULL, 0, NULL) < 0)
                        return -1;
                if (is_amount && memchr(start, '\\', (size_t)(s->p - start)))
                        return amount_fail(s->err, s->errsz,
                                           "%s must be an integer number of satoshis", key);
                return 0;
        }
        if (c == '-' || amount_is_digit(c))
                return amount_scan_number(s, is_amount, key);
        static const char *const literals[] = {"true", "false", "null"};
        for (size_t i = 0; i < 3; i++) {
                size_t n = strlen(literals[i]);
                if (strncmp(s->p, literals[i], n) == 0) {
                        s->p += n;
                        return 0;
                }
        }
        return amount_scan_bad(s);
}

int
amount_check_json_numbers(const char *body, char *err, size_t errsz)
{
        if (body == NULL)
                return amount_fail(err, errsz, "request body is not valid JSON");
        struct amount_scan s = {body, err, errsz};
        if (amount_scan_value(&s, 0, 0, "") < 0)
                return -1;
        amount_scan_ws(&s);
        if (*s.p != '\0')
                return amount_scan_bad(&s);
        return 0;
}
