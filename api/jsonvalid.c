#include "jsonvalid.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

struct jsonvalid {
        const unsigned char *p;
        size_t len, i;
        int max_depth, depth;
        char field[sizeof(((struct jsonvalid_error *)0)->field)];
        struct jsonvalid_error *err;
};

__attribute__((format(printf, 2, 3))) static int
jsonvalid_fail(struct jsonvalid *v, const char *fmt, ...)
{
        char what[120];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        v->err->offset = v->i;
        memcpy(v->err->field, v->field, sizeof(v->field));
        if (v->field[0])
                snprintf(v->err->msg, sizeof(v->err->msg), "%s: %s at byte %zu", v->field, what,
                         v->i);
        else
                snprintf(v->err->msg, sizeof(v->err->msg), "%s at byte %zu", what, v->i);
        return -1;
}

static void
jsonvalid_ws(struct jsonvalid *v)
{
        while (v->i < v->len && (v->p[v->i] == ' ' || v->p[v->i] == '\t' || v->p[v->i] == '\n' ||
                                 v->p[v->i] == '\r'))
                v->i++;
}

/* Reads the 4 hex digits of a \u escape at v->i (just past the 'u'). */
static int
jsonvalid_u4(struct jsonvalid *v, unsigned *code)
{
        *code = 0;
        for (int k = 0; k < 4; k++) {
                int h = v->i < v->len ? hex_digit((char)v->p[v->i]) : -1;
                if (h < 0)
                        return jsonvalid_fail(v, "\\u must be followed by 4 hex digits");
                *code = *code * 16 + (unsigned)h;
                v->i++;
        }
        return 0;
}

/* An escape at v->i (on the backslash). */
static int
jsonvalid_escape(struct jsonvalid *v)
{
        v->i++;
        if (v->i >= v->len)
                return jsonvalid_fail(v, "unterminated string");
        unsigned char e = v->p[v->i];
        if (e != 'u') {
                if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                    e == 'r' || e == 't') {
                        v->i++;
                        return 0;
                }
                return jsonvalid_fail(v, "invalid escape");
        }
        v->i++;
        size_t at = v->i - 2;
        unsigned code, low;
        if (jsonvalid_u4(v, &code) != 0)
                return -1;
        if (code == 0) {
                v->i = at;
                return jsonvalid_fail(v, "strings must not contain \\u0000");
        }
        if (code >= 0xdc00 && code <= 0xdfff) {
                v->i = at;
                return jsonvalid_fail(v, "\\u%04x is a low surrogate without a high one", code);
        }
        if (code < 0xd800 || code > 0xdbff)
                return 0;
        if (v->i + 1 >= v->len || v->p[v->i] != '\\' || v->p[v->i + 1] != 'u') {
                v->i = at;
                return jsonvalid_fail(v, "\\u%04x is a high surrogate without a low one", code);
        }
        v->i += 2;
        if (jsonvalid_u4(v, &low) != 0)
                return -1;
        if (low < 0xdc00 || low > 0xdfff) {
                v->i = at;
                return jsonvalid_fail(v, "\\u%04x is a high surrogate without a low one", code);
        }
        return 0;
}

/* A multi-byte UTF-8 sequence at v->i, by the table of RFC 3629 section 4:
 * the second byte's range excludes overlong forms (E0, F0), surrogates (ED)
 * and code points above U+10FFFF (F4). */
static int
jsonvalid_utf8(struct jsonvalid *v)
{
        unsigned char c = v->p[v->i];
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else {
                return jsonvalid_fail(v, "invalid UTF-8 (byte 0x%02x)", c);
        }
        for (size_t k = 1; k < n; k++) {
                unsigned char b = v->i + k < v->len ? v->p[v->i + k] : 0;
                if (b < lo || b > hi)
                        return jsonvalid_fail(v, "invalid UTF-8 (byte 0x%02x)", c);
                lo = 0x80;
                hi = 0xbf;
        }
        v->i += n;
        return 0;
}

/* A string at v->i (on its opening quote). A top-level key is kept in
 * v->field, printable ASCII only (others as '?'), so errors can name it. */
static int
jsonvalid_string(struct jsonvalid *v, int is_field)
{
        size_t start = ++v->i, n = 0;
        for (;;) {
                if (v->i >= v->len)
                        return jsonvalid_fail(v, "unterminated string");
                unsigned char c = v->p[v->i];
                if (c == '"')
                        break;
                if (c < 0x20) {
                        if (c == 0)
                                return jsonvalid_fail(v, "NUL byte in a string");
                        return jsonvalid_fail(v, "control character 0x%02x in a string", c);
                }
                if (c == '\\') {
                        if (jsonvalid_escape(v) != 0)
                                return -1;
                } else if (c >= 0x80) {
                        if (jsonvalid_utf8(v) != 0)
                                return -1;
                } else {
                        v->i++;
                }
        }
        if (is_field) {
                for (size_t k = start; k < v->i && n + 1 < sizeof(v->field); k++)
                        v->field[n++] = v->p[k] >= 0x20 && v->p[k] < 0x7f ? (char)v->p[k] : '?';
                v->field[n] = '\0';
        }
        v->i++;
        return 0;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
jsonvalid_number(struct jsonvalid *v)
{
        const unsigned char *p = v->p;
        size_t i = v->i, len = v->len;
        if (i < len && p[i] == '-')
                i++;
        if (i < len && p[i] == '0') {
                i++;
        } else if (i < len && p[i] >= '1' && p[i] <= '9') {
                while (i < len && p[i] >= '0' && p[i] <= '9')
                        i++;
        } else {
                v->i = i;
                return jsonvalid_fail(v, "invalid number");
        }
        if (i < len && p[i] == '.') {
                i++;
                if (i >= len || p[i] < '0' || p[i] > '9') {
                        v->i = i;
                        return jsonvalid_fail(v, "invalid number");
                }
                while (i < len && p[i] >= '0' && p[i] <= '9')
                        i++;
        }
        if (i < len && (p[i] == 'e' || p[i] == 'E')) {
                i++;
                if (i < len && (p[i] == '+' || p[i] == '-'))
                        i++;
                if (i >= len || p[i] < '0' || p[i] > '9') {
                        v->i = i;
                        return jsonvalid_fail(v, "invalid number");
                }
                while (i < len && p[i] >= '0' && p[i] <= '9')
                        i++;
        }
        v->i = i;
        return 0;
}

static int jsonvalid_value(struct jsonvalid *v);

/* An object or array at v->i (on its opening bracket). */
static int
jsonvalid_container(struct jsonvalid *v)
{
        int object = v->p[v->i] == '{';
        unsigned char close = object ? '}' : ']';
        if (++v->depth > v->max_depth)
                return jsonvalid_fail(v, "JSON nested deeper than %d levels", v->max_depth);
        v->i++;
        jsonvalid_ws(v);
        if (v->i < v->len && v->p[v->i] == close) {
                v->i++;
                v->depth--;
                return 0;
        }
        for (;;) {
                if (object) {
                        if (v->i >= v->len || v->p[v->i] != '"')
                                return jsonvalid_fail(v, "expected a member name in quotes");
                        if (jsonvalid_string(v, v->depth == 1) != 0)
                                return -1;
                        jsonvalid_ws(v);
                        if (v->i >= v->len || v->p[v->i] != ':')
                                return jsonvalid_fail(v, "expected ':'");
                        v->i++;
                }
                if (jsonvalid_value(v) != 0)
                        return -1;
                jsonvalid_ws(v);
                if (v->i < v->len && v->p[v->i] == close)
                        break;
                if (v->i >= v->len || v->p[v->i] != ',')
                        return jsonvalid_fail(v, object ? "expected ',' or '}'"
                                                        : "expected ',' or ']'");
                if (v->depth == 1)
                        v->field[0] = '\0'; /* the next member names itself */
                v->i++;
                jsonvalid_ws(v);
        }
        v->i++;
        if (--v->depth == 0)
                v->field[0] = '\0';
        return 0;
}

static int
jsonvalid_literal(struct jsonvalid *v, const char *word)
{
        size_t n = strlen(word);
        if (v->len - v->i < n || memcmp(v->p + v->i, word, n) != 0)
                return jsonvalid_fail(v, "invalid literal (true, false or null expected)");
        v->i += n;
        return 0;
}

static int
jsonvalid_value(struct jsonvalid *v)
{
        jsonvalid_ws(v);
        if (v->i >= v->len)
                return jsonvalid_fail(v, "unexpected end of the text");
        unsigned char c = v->p[v->i];
        switch (c) {
        case '{':
        case '[':
                return jsonvalid_container(v);
        case '"':
                return jsonvalid_string(v, 0);
        case 't':
                return jsonvalid_literal(v, "true");
        case 'f':
                return jsonvalid_literal(v, "false");
        case 'n':
                return jsonvalid_literal(v, "null");
        default:
                if (c == '-' || (c >= '0' && c <= '9'))
                        return jsonvalid_number(v);
                if (c == 0)
                        return jsonvalid_fail(v, "unexpected NUL byte");
                return jsonvalid_fail(v, "unexpected character");
        }
}

int
jsonvalid_check(const char *text, size_t len, int max_depth, struct jsonvalid_error *err)
{
        struct jsonvalid v = {.p = (const unsigned char *)text,
                              .len = text ? len : 0,
                              .max_depth = max_depth,
                              .err = err};
        memset(err, 0, sizeof(*err));
        if (max_depth < 1 || max_depth > JSONVALID_DEPTH_LIMIT)
                return jsonvalid_fail(&v, "nesting limit %d out of range", max_depth);
        if (v.len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                return jsonvalid_fail(&v, "byte order mark before the JSON text");
        jsonvalid_ws(&v);
        if (v.i >= v.len)
                return jsonvalid_fail(&v, "no JSON value");
        if (jsonvalid_value(&v) != 0)
                return -1;
        jsonvalid_ws(&v);
        if (v.i < v.len)
                return jsonvalid_fail(&v, "unexpected data after the JSON value");
        return 0;
}
