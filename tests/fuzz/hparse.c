/* The HTTP/1.1 request parser (api/hparse.c) as the server drives it: the
 * end of a head found at once and byte by byte (the same answer), the head
 * parsed in place (changed only by its NULs), a chunked body decoded at once
 * and in steps of 1 to 7 bytes (the same body), then the next pipelined
 * request, up to four. Input: the bytes a client sends; without a whole
 * head, the input is decoded as a chunked body. */
#include "fuzz.h"
#include "hparse.h"

#define HPARSE_FUZZ_MAX 4096

static void
hparse_fuzz_span(const char *buf, const struct hparse_req *r, struct hparse_span s)
{
        FUZZ_ASSERT((size_t)s.off + s.len < r->head_len);
        FUZZ_ASSERT(buf[s.off + s.len] == '\0');
        FUZZ_ASSERT(strlen(buf + s.off) == s.len);
}

/* What hparse_head promises of a head it accepted. */
static void
hparse_fuzz_req(const char *buf, size_t head_len, const struct hparse_req *r)
{
        FUZZ_ASSERT(r->head_len == head_len);
        hparse_fuzz_span(buf, r, r->method);
        FUZZ_ASSERT(r->method.len >= 1 && r->method.len <= 16);
        hparse_fuzz_span(buf, r, r->path);
        FUZZ_ASSERT(r->path.len >= 1 && buf[r->path.off] == '/');
        for (uint32_t i = 0; i < r->path.len; i++)
                FUZZ_ASSERT(buf[r->path.off + i] > 0x20 && buf[r->path.off + i] < 0x7f);
        if (r->query.off == 0) {
                FUZZ_ASSERT(r->query.len == 0);
        } else {
                hparse_fuzz_span(buf, r, r->query);
                FUZZ_ASSERT(buf[r->query.off - 1] == '\0'); /* the '?' */
                for (uint32_t i = 0; i < r->query.len; i++)
                        FUZZ_ASSERT(buf[r->query.off + i] > 0x20 && buf[r->query.off + i] < 0x7f);
        }
        FUZZ_ASSERT(r->minor == 0 || r->minor == 1);
        FUZZ_ASSERT(r->keep_alive == 0 || r->keep_alive == 1);
        FUZZ_ASSERT(r->expect_continue == 0 || (r->expect_continue == 1 && r->minor == 1));
        FUZZ_ASSERT(r->chunked == 0 || (r->chunked == 1 && r->minor == 1));
        FUZZ_ASSERT(r->content_length >= -1);
        FUZZ_ASSERT(!(r->chunked && r->content_length >= 0));
        FUZZ_ASSERT(r->nheaders >= 0 && r->nheaders <= HPARSE_MAX_HEADERS);
        for (int i = 0; i < r->nheaders; i++) {
                struct hparse_span n = r->h[i].name, v = r->h[i].value;
                hparse_fuzz_span(buf, r, n);
                hparse_fuzz_span(buf, r, v);
                FUZZ_ASSERT(n.len >= 1);
                FUZZ_ASSERT(v.len == 0 ||
                            (buf[v.off] != ' ' && buf[v.off] != '\t' &&
                             buf[v.off + v.len - 1] != ' ' && buf[v.off + v.len - 1] != '\t'));
                int first = i;
                for (int j = 0; j < i; j++)
                        if (r->h[j].name.len == n.len &&
                            strcasecmp(buf + r->h[j].name.off, buf + n.off) == 0) {
                                first = j;
                                break;
                        }
                FUZZ_ASSERT(hparse_header(buf, r, buf + n.off) == buf + r->h[first].value.off);
                FUZZ_ASSERT(hparse_header_count(buf, r, buf + n.off) >= 1);
        }
}

/* The head changed only where a span ends, to a NUL: before is the head as
 * it arrived. */
static void
hparse_fuzz_nuls(const char *buf, const char *before, const struct hparse_req *r)
{
        char *end = calloc(r->head_len, 1);
        FUZZ_ASSERT(end != NULL);
        end[r->method.off + r->method.len] = 1;
        end[r->path.off + r->path.len] = 1;
        if (r->query.off != 0)
                end[r->query.off + r->query.len] = 1;
        for (int i = 0; i < r->nheaders; i++) {
                end[r->h[i].name.off + r->h[i].name.len] = 1;
                end[r->h[i].value.off + r->h[i].value.len] = 1;
        }
        for (size_t i = 0; i < r->head_len; i++)
                FUZZ_ASSERT(buf[i] == before[i] || (buf[i] == '\0' && end[i]));
        free(end);
}

/* The end of the head at buf[0..len): at once and byte by byte. */
static size_t
hparse_fuzz_head_end(const char *buf, size_t len)
{
        size_t scan = 0, once = hparse_head_end(buf, len, &scan), got = 0;
        FUZZ_ASSERT(once <= len && scan <= len);
        scan = 0;
        for (size_t n = 0; n <= len && got == 0; n++) {
                size_t before = scan;
                got = hparse_head_end(buf, n, &scan);
                FUZZ_ASSERT(got == 0 || got == n);
                FUZZ_ASSERT(scan <= n && scan >= before);
        }
        FUZZ_ASSERT(got == once);
        return once;
}

/* The chunked body at buf[start..len): at once, and in small steps on a copy.
 * Returns what the decoder answered, with *next the byte after the body. */
static int
hparse_fuzz_chunks(char *buf, size_t start, size_t len, size_t *next)
{
        char *copy = malloc(len);
        FUZZ_ASSERT(copy != NULL);
        memcpy(copy, buf, len);
        struct hparse_chunks a, b;
        hparse_chunks_init(&a, start, HPARSE_FUZZ_MAX);
        int ra = hparse_chunks(buf, len, &a);
        FUZZ_ASSERT(ra == 0 || ra == 1 || ra == 400 || ra == 413);
        FUZZ_ASSERT(a.start <= a.out && a.out <= a.in && a.in <= len);
        FUZZ_ASSERT(a.out - a.start <= HPARSE_FUZZ_MAX);
        hparse_chunks_init(&b, start, HPARSE_FUZZ_MAX);
        int rb = 0;
        for (size_t n = start, step = 1; rb == 0 && n < len; step = step % 7 + 1) {
                n = n + step < len ? n + step : len;
                rb = hparse_chunks(copy, n, &b);
                FUZZ_ASSERT(b.out <= b.in && b.in <= n);
        }
        if (start == len)
                rb = hparse_chunks(copy, len, &b);
        FUZZ_ASSERT(ra == rb);
        FUZZ_ASSERT(a.out == b.out && a.in == b.in);
        FUZZ_ASSERT(memcmp(buf + start, copy + start, a.out - start) == 0);
        if (ra == 1)
                FUZZ_ASSERT(hparse_chunks(buf, len, &a) == 1);
        free(copy);
        *next = a.in;
        return ra;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Exactly sized: a read past the end is an ASan report. */
        char *buf = malloc(size ? size : 1);
        FUZZ_ASSERT(buf != NULL);
        memcpy(buf, data, size);
        size_t off = 0, next;
        for (int n = 0; n < 4 && off < size; n++) {
                size_t head_len = hparse_fuzz_head_end(buf + off, size - off);
                if (head_len == 0) {
                        if (n == 0)
                                hparse_fuzz_chunks(buf, 0, size, &next);
                        break;
                }
                struct hparse_req r;
                const char *why = NULL;
                char *before = malloc(head_len);
                FUZZ_ASSERT(before != NULL);
                memcpy(before, buf + off, head_len);
                int rc = hparse_head(buf + off, head_len, &r, &why);
                if (rc == 0)
                        hparse_fuzz_nuls(buf + off, before, &r);
                free(before);
                FUZZ_ASSERT(why != NULL);
                if (rc != 0) {
                        FUZZ_ASSERT(rc == 400 || rc == 431 || rc == 501 || rc == 505 || rc == 417);
                        FUZZ_ASSERT(why[0] != '\0');
                        break;
                }
                hparse_fuzz_req(buf + off, head_len, &r);
                if (r.chunked) {
                        if (hparse_fuzz_chunks(buf + off, head_len, size - off, &next) != 1)
                                break;
                        off += next;
                } else {
                        size_t body = r.content_length > 0 ? (size_t)r.content_length : 0;
                        if (body > size - off - head_len)
                                break;
                        off += head_len + body;
                }
        }
        free(buf);
        return 0;
}
