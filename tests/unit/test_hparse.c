/* The HTTP/1.1 request parser (api/hparse.c): heads, their limits and the
 * NULs it writes, and chunked bodies decoded in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hparse.h"

static char buf[65536];
static struct hparse_req req;
static const char *why;

/* Copies text into buf, finds the end of its head (which must be all of
 * text when whole is set) and parses it. */
static int
head(const char *text)
{
        size_t len = strlen(text), scan = 0;
        memcpy(buf, text, len);
        size_t end = hparse_head_end(buf, len, &scan);
        assert_int_not_equal(end, 0);
        why = NULL;
        int rc = hparse_head(buf, end, &req, &why);
        assert_non_null(why);
        if (rc != 0)
                assert_true(why[0] != '\0');
        return rc;
}

static const char *
span(struct hparse_span s)
{
        assert_int_equal(buf[s.off + s.len], '\0');
        return buf + s.off;
}

static void
test_head_end_whole_and_partial(void **state)
{
        (void)state;
        size_t scan = 0;
        const char *a = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_int_equal(hparse_head_end(a, strlen(a), &scan), strlen(a));
        scan = 0;
        assert_int_equal(hparse_head_end(a, strlen(a) - 1, &scan), 0);
        assert_int_equal(hparse_head_end(a, strlen(a), &scan), strlen(a));
        const char *b = "GET / HTTP/1.1\nHost: x\n\nrest";
        scan = 0;
        assert_int_equal(hparse_head_end(b, strlen(b), &scan), strlen(b) - 4);
        const char *c = "GET / HTTP/1.1\r\nHost: x\r\n\n";
        scan = 0;
        assert_int_equal(hparse_head_end(c, strlen(c), &scan), strlen(c));
        scan = 0;
        assert_int_equal(hparse_head_end("", 0, &scan), 0);
        /* "\r\n\r" then "\n": the terminator split across two reads. */
        scan = 0;
        assert_int_equal(hparse_head_end(a, strlen(a) - 1, &scan), 0);
        assert_true(scan <= strlen(a) - 3);
        assert_int_equal(hparse_head_end(a, strlen(a), &scan), strlen(a));
        /* A CR that is not a line end does not end the head. */
        const char *d = "GET / HTTP/1.1\r\n\rX: y\r\n\r\n";
        scan = 0;
        assert_int_equal(hparse_head_end(d, strlen(d), &scan), strlen(d));
}

static void
test_head_end_byte_by_byte(void **state)
{
        (void)state;
        const char *a = "\r\n\nPOST /v1/x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi";
        size_t want = strlen(a) - 2, scan = 0, got = 0, len;
        for (len = 0; len <= strlen(a) && got == 0; len++) {
                got = hparse_head_end(a, len, &scan);
                assert_true(scan <= len);
        }
        assert_int_equal(got, want);
        assert_int_equal(len - 1, want);
        /* Each byte looked at about once: scan follows the bytes. */
        scan = 0;
        for (len = 1; len < 20; len++)
                assert_int_equal(hparse_head_end(a, len, &scan), 0);
        assert_true(scan >= 17);
}

static void
test_head_end_leading_empty_lines(void **state)
{
        (void)state;
        const char *many = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                           "GET / HTTP/1.1\r\n\r\n";
        size_t scan = 0;
        /* Nine: the head ends after them, and hparse_head refuses it. */
        assert_int_equal(hparse_head_end(many, strlen(many), &scan), 18);
        assert_int_equal(head(many), 400);
        assert_int_equal(head(many + 2), 0);
        assert_int_equal(req.method.off, 16);
        assert_string_equal(span(req.path), "/");
        scan = 0;
        assert_int_equal(hparse_head_end("\r\n\r\n", 4, &scan), 0);
        assert_int_equal(hparse_head_end("\n\n\r", 3, &scan), 0);
}

static void
test_pipelined(void **state)
{
        (void)state;
        const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q HTTP/1.1\r\nHost: x\r\n\r\n";
        size_t len = strlen(two), scan = 0;
        memcpy(buf, two, len);
        size_t e1 = hparse_head_end(buf, len, &scan);
        assert_int_equal(e1, 28);
        assert_int_equal(hparse_head(buf, e1, &req, &why), 0);
        assert_string_equal(span(req.path), "/a");
        scan = 0;
        size_t e2 = hparse_head_end(buf + e1, len - e1, &scan);
        assert_int_equal(e1 + e2, len);
        assert_int_equal(hparse_head(buf + e1, e2, &req, &why), 0);
        assert_string_equal(buf + e1 + req.path.off, "/b");
        assert_string_equal(buf + e1 + req.query.off, "q");
}

static void
test_request_line(void **state)
{
        (void)state;
        assert_int_equal(head("GET /v1/x?a=1&b=2#frag HTTP/1.1\r\nHost: h\r\n\r\n"), 0);
        assert_string_equal(span(req.method), "GET");
        assert_string_equal(span(req.path), "/v1/x");
        assert_string_equal(span(req.query), "a=1&b=2");
        assert_int_equal(req.minor, 1);
        assert_int_equal(req.keep_alive, 1);
        assert_int_equal(req.content_length, -1);
        assert_int_equal(req.chunked, 0);
        assert_int_equal(req.head_len, 44);
        assert_int_equal(head("PURGE-IT /#f?x HTTP/1.0\r\n\r\n"), 0);
        assert_string_equal(span(req.method), "PURGE-IT");
        assert_string_equal(span(req.path), "/");
        assert_int_equal(req.query.off, 0);
        assert_int_equal(req.query.len, 0);
        assert_int_equal(req.minor, 0);
        assert_int_equal(req.keep_alive, 0);
        assert_int_equal(req.nheaders, 0);
        assert_int_equal(head("GET /a? HTTP/1.1\n\n"), 0);
        assert_int_equal(req.query.len, 0);
        assert_int_equal(req.query.off, 7);
        assert_int_equal(head("GET /a?b?c/d HTTP/1.1\n\n"), 0);
        assert_string_equal(span(req.query), "b?c/d");
        assert_int_equal(head("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n"), 0);
        assert_int_equal(head("ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n"), 400);
        const char *bad[] = {
            " GET / HTTP/1.1\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET /  HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 \r\n\r\n",
            "GET /\r\n\r\n",
            "GET / \r\n\r\n",
            "G(T / HTTP/1.1\r\n\r\n",
            "GET\t/ HTTP/1.1\r\n\r\n",
            "GET * HTTP/1.1\r\n\r\n",
            "CONNECT h:443 HTTP/1.1\r\n\r\n",
            "GET a/b HTTP/1.1\r\n\r\n",
            "GET /\x7f HTTP/1.1\r\n\r\n",
            "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
            "GET / http/1.1\r\n\r\n",
            "GET / HTTP/1.10\r\n\r\n",
            "GET / HTTP/1\r\n\r\n",
            "GET / HTTP/1.1\r\r\n\r\n",
            "GET / HTTP/1.1\rX\r\n\r\n",
            "GET / HTTP/a.1\r\n\r\n",
            "GET / HTTPS/1.1\r\n\r\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (head(bad[i]) != 400)
                        fail_msg("not refused: %s", bad[i]);
        }
        assert_int_equal(head("GET / HTTP/2.0\r\n\r\n"), 505);
        assert_int_equal(head("GET / HTTP/1.2\r\n\r\n"), 505);
        assert_int_equal(head("GET / HTTP/0.9\r\n\r\n"), 505);
}

static void
test_absolute_form(void **state)
{
        (void)state;
        assert_int_equal(head("GET http://example.com:8080/v1/x?y=2 HTTP/1.1\r\n\r\n"), 0);
        assert_string_equal(span(req.path), "/v1/x");
        assert_string_equal(span(req.query), "y=2");
        assert_int_equal(head("GET HTTPS://h/ HTTP/1.1\r\n\r\n"), 0);
        assert_string_equal(span(req.path), "/");
        assert_int_equal(head("GET hTtP://h/p#x HTTP/1.1\r\n\r\n"), 0);
        assert_string_equal(span(req.path), "/p");
        assert_int_equal(head("GET http://h HTTP/1.1\r\n\r\n"), 400);
        assert_string_equal(why, "absolute-form target without a path");
        assert_int_equal(head("GET http://h?x=/ HTTP/1.1\r\n\r\n"), 400);
        assert_int_equal(head("GET http://h#/ HTTP/1.1\r\n\r\n"), 400);
        assert_int_equal(head("GET http:/// HTTP/1.1\r\n\r\n"), 400);
        assert_int_equal(head("GET ftp://h/ HTTP/1.1\r\n\r\n"), 400);
        assert_int_equal(head("GET http:/h/ HTTP/1.1\r\n\r\n"), 400);
}

static void
test_headers(void **state)
{
        (void)state;
        assert_int_equal(head("GET / HTTP/1.1\r\nHost: example\r\nX-Empty:\r\n"
                              "X-Blank: \t \r\nX-Pad: \t a b \t\r\nX-Obs: caf\xc3\xa9\n"
                              "x-pad: second\r\n\r\n"),
                         0);
        assert_int_equal(req.nheaders, 6);
        assert_string_equal(span(req.h[0].name), "Host");
        assert_string_equal(span(req.h[0].value), "example");
        assert_string_equal(span(req.h[1].value), "");
        assert_string_equal(span(req.h[2].value), "");
        assert_string_equal(span(req.h[3].value), "a b");
        assert_string_equal(span(req.h[4].value), "caf\xc3\xa9");
        assert_string_equal(hparse_header(buf, &req, "X-PAD"), "a b");
        assert_string_equal(hparse_header(buf, &req, "host"), "example");
        assert_null(hparse_header(buf, &req, "Hos"));
        assert_null(hparse_header(buf, &req, "Hostx"));
        assert_int_equal(hparse_header_count(buf, &req, "x-pad"), 2);
        assert_int_equal(hparse_header_count(buf, &req, "cookie"), 0);
        const char *bad[] = {
            "GET / HTTP/1.1\r\nHost : x\r\n\r\n",   "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost x\r\n\r\n",     "GET / HTTP/1.1\r\nHost\r\n\r\n",
            "GET / HTTP/1.1\r\n: x\r\n\r\n",        "GET / HTTP/1.1\r\nA(b: x\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",    "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",   "GET / HTTP/1.1\r\nA: b\r\r\n\r\n",
            "GET / HTTP/1.1\r\nA\xc3: b\r\n\r\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (head(bad[i]) != 400)
                        fail_msg("not refused: %s", bad[i]);
        }
        assert_int_equal(head("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400);
        assert_string_equal(why, "obs-fold: a header line starting with a blank");
        assert_int_equal(head("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
        assert_string_equal(why, "blank before a header's colon");
}

/* A byte at each place of a long value: the values are read eight bytes at
 * a time, and the byte loop finishes. */
static void
test_value_bytes(void **state)
{
        (void)state;
        const char good[] = {'\t', ' ', '~', '!', (char)0x80, (char)0xff};
        const char bad[] = {0x01, 0x1f, 0x7f, 0x00, '\r'};
        for (int k = 0; k < 30; k++) {
                char t[128], v[31];
                memset(v, 'a', 30);
                v[30] = '\0';
                for (size_t g = 0; g < sizeof(good); g++) {
                        v[k] = good[g];
                        snprintf(t, sizeof(t), "GET / HTTP/1.1\r\nX: %s\r\n\r\n", v);
                        assert_int_equal(head(t), 0);
                        assert_int_equal(req.h[0].value.len,
                                         (k == 0 || k == 29) && g < 2 ? 29 : 30);
                }
                for (size_t b = 0; b < sizeof(bad); b++) {
                        size_t len =
                            (size_t)snprintf(t, sizeof(t), "GET / HTTP/1.1\r\nX: %s\r\n\r\n", v);
                        t[19 + k] = bad[b];
                        size_t scan = 0, end;
                        memcpy(buf, t, len);
                        end = hparse_head_end(buf, len, &scan);
                        assert_int_equal(end, len);
                        assert_int_equal(hparse_head(buf, end, &req, &why), 400);
                }
                v[k] = 'a';
        }
}

static void
test_header_limit(void **state)
{
        (void)state;
        static char text[8192];
        size_t n = (size_t)snprintf(text, sizeof(text), "GET / HTTP/1.1\r\n");
        for (int i = 0; i < HPARSE_MAX_HEADERS; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "X-%d: %d\r\n", i, i);
        snprintf(text + n, sizeof(text) - n, "\r\n");
        assert_int_equal(head(text), 0);
        assert_int_equal(req.nheaders, 64);
        assert_string_equal(span(req.h[63].value), "63");
        assert_string_equal(hparse_header(buf, &req, "x-63"), "63");
        text[strlen(text) - 2] = '\0';
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "X-64: 64\r\n\r\n");
        assert_int_equal(head(text), 431);
}

static void
test_nuls(void **state)
{
        (void)state;
        const char *t = "POST /p?q#f HTTP/1.1\r\nA:  v  \r\nB:w\n\r\n";
        assert_int_equal(head(t), 0);
        /* Every NUL written where the spans end, nothing else changed. */
        size_t nul[] = {4, 7, 9, 23, 27, 32, 34};
        for (size_t i = 0, k = 0; i < strlen(t); i++) {
                if (k < 7 && i == nul[k]) {
                        assert_int_equal(buf[i], '\0');
                        k++;
                } else {
                        assert_int_equal(buf[i], t[i]);
                }
        }
        assert_int_equal(req.method.off + req.method.len, 4);
        assert_int_equal(req.path.off + req.path.len, 7);
        assert_int_equal(req.query.off + req.query.len, 9);
        assert_string_equal(span(req.h[0].value), "v");
        assert_string_equal(span(req.h[1].value), "w");
}

static void
test_connection(void **state)
{
        (void)state;
        assert_int_equal(head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 0);
        assert_int_equal(head("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 0);
        assert_int_equal(head("GET / HTTP/1.1\r\nconnection: keep-alive,close\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 0);
        assert_int_equal(head("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 1);
        assert_int_equal(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 1);
        assert_int_equal(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
                              "Connection: close\r\n\r\n"),
                         0);
        assert_int_equal(req.keep_alive, 0);
        assert_int_equal(head("GET / HTTP/1.0\r\nConnection: foo, keep-alive \r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 1);
        assert_int_equal(head("GET / HTTP/1.0\r\n\r\n"), 0);
        assert_int_equal(req.keep_alive, 0);
}

static void
test_content_length(void **state)
{
        (void)state;
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), 0);
        assert_int_equal(req.content_length, 5);
        assert_int_equal(head("POST / HTTP/1.1\r\ncontent-length: 5, 5\r\n\r\n"), 0);
        assert_int_equal(req.content_length, 5);
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 0);
        assert_int_equal(req.content_length, 0);
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n"),
                         0);
        assert_int_equal(req.content_length, 7);
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n"), 0);
        assert_int_equal(req.content_length, 999999999999999999LL);
        const char *bad[] = {
            "5, 6", "-1", "+5", "5x", "", "1 2", "5,", ",5", "5,,5", "0x5", "1234567890123456789",
            "5;"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char t[128];
                snprintf(t, sizeof(t), "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", bad[i]);
                if (head(t) != 400)
                        fail_msg("not refused: %s", bad[i]);
        }
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n"),
                         400);
        assert_string_equal(why, "two Content-Length values differ");
}

static void
test_transfer_encoding(void **state)
{
        (void)state;
        assert_int_equal(head("POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n"), 0);
        assert_int_equal(req.chunked, 1);
        assert_int_equal(req.content_length, -1);
        assert_int_equal(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
        assert_int_equal(head("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n"), 501);
        assert_int_equal(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"),
                         501);
        assert_int_equal(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Length: 3\r\n\r\n"),
                         400);
        assert_int_equal(head("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"),
                         400);
        assert_int_equal(head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

static void
test_expect(void **state)
{
        (void)state;
        assert_int_equal(head("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n"), 0);
        assert_int_equal(req.expect_continue, 1);
        assert_int_equal(head("POST / HTTP/1.1\r\n\r\n"), 0);
        assert_int_equal(req.expect_continue, 0);
        /* RFC 9110 10.1.1: ignored in HTTP/1.0. */
        assert_int_equal(head("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), 0);
        assert_int_equal(req.expect_continue, 0);
        assert_int_equal(head("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"), 417);
        assert_int_equal(head("POST / HTTP/1.1\r\nExpect:\r\n\r\n"), 417);
}

static void
test_head_len_mismatch(void **state)
{
        (void)state;
        snprintf(buf, sizeof(buf), "%s", "GET / HTTP/1.1\r\nA: b\r\n");
        assert_int_equal(hparse_head(buf, strlen(buf), &req, &why), 400);
        snprintf(buf, sizeof(buf), "%s", "GET / HTTP/1.1\r\n\r\nX");
        assert_int_equal(hparse_head(buf, strlen(buf), &req, &why), 400);
        assert_int_equal(hparse_head(buf, 0, &req, &why), 400);
        snprintf(buf, sizeof(buf), "%s", "\r\n\n");
        assert_int_equal(hparse_head(buf, 3, &req, &why), 400);
        assert_string_equal(why, "head without a request line");
}

/* Decodes body (after a 4-byte fake head) at once, and 1 byte at a time
 * into a second buffer: both must agree. Returns the answer; the decoded body
 * is then buf[4..out). */
static struct hparse_chunks chunks;
static int
decode(const char *body, size_t blen, size_t max)
{
        static char step[65536];
        memcpy(buf, "HEAD", 4);
        memcpy(buf + 4, body, blen);
        memcpy(step, buf, 4 + blen);
        hparse_chunks_init(&chunks, 4, max);
        int rc = hparse_chunks(buf, 4 + blen, &chunks);
        struct hparse_chunks st;
        hparse_chunks_init(&st, 4, max);
        int rc2 = 0;
        for (size_t len = 4; len <= 4 + blen; len++) {
                rc2 = hparse_chunks(step, len, &st);
                assert_true(st.out <= st.in && st.in <= len);
                if (rc2 != 0)
                        break;
        }
        assert_int_equal(rc, rc2);
        assert_true(chunks.out <= chunks.in && chunks.in <= 4 + blen);
        if (rc == 1) {
                assert_int_equal(chunks.in, st.in);
                assert_int_equal(chunks.out, st.out);
                assert_memory_equal(buf + 4, step + 4, chunks.out - 4);
        }
        return rc;
}

#define DECODE(lit, max) decode(lit, sizeof(lit) - 1, max)

static void
test_chunks(void **state)
{
        (void)state;
        assert_int_equal(DECODE("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET", 100), 1);
        assert_int_equal(chunks.out - 4, 11);
        assert_memory_equal(buf + 4, "hello world", 11);
        assert_int_equal(chunks.in, 4 + 26);
        assert_memory_equal(buf + chunks.in, "GET", 3);
        /* Extensions, blanks before them, bare LFs, upper-case hex, trailers. */
        assert_int_equal(DECODE("A;name=\"v\"\r\n0123456789\n1 ;x\nZ\r\n0\r\n"
                                "Trailer: yes\r\nX-Other:\n\r\n",
                                100),
                         1);
        assert_int_equal(chunks.out - 4, 11);
        assert_memory_equal(buf + 4, "0123456789Z", 11);
        assert_int_equal(chunks.in, 4 + 59);
        assert_int_equal(DECODE("0\n\n", 0), 1);
        assert_int_equal(chunks.out, 4);
        assert_int_equal(DECODE("000000000000003\r\nabc\r\n0\r\n\r\n", 3), 1);
        /* Not yet complete. */
        assert_int_equal(DECODE("5\r\nhel", 100), 0);
        assert_int_equal(chunks.out - 4, 3);
        assert_int_equal(DECODE("5\r\nhello\r\n0\r\n", 100), 0);
        assert_int_equal(DECODE("5\r\nhello\r\n0\r\nA: b\r\n", 100), 0);
        /* Once complete, again 1. */
        assert_int_equal(DECODE("0\r\n\r\n", 10), 1);
        assert_int_equal(hparse_chunks(buf, 9, &chunks), 1);
}

static void
test_chunks_bad(void **state)
{
        (void)state;
        const char *bad[] = {
            "\r\n",
            "x\r\n",
            "-1\r\n",
            "5\r\nhelloX",
            "5\r\nhello\rX",
            "5 x\r\n",
            "5\rX",
            "5;\x01\r\n",
            "0\r\n bad: x\r\n\r\n",
            "0\r\nA b: c\r\n\r\n",
            "0\r\nA\r\n\r\n",
            "0\r\nA: \x01\r\n\r\n",
            "0\r\nA: b\rX",
            "0\r\n\rX",
            "0000000000000001\r\nx\r\n0\r\n\r\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (decode(bad[i], strlen(bad[i]), 100) != 400)
                        fail_msg("not refused: %s", bad[i]);
        }
        /* Sticky: a second call gives the same answer. */
        assert_int_equal(DECODE("x\r\n", 100), 400);
        assert_int_equal(hparse_chunks(buf, 7, &chunks), 400);
}

static void
test_chunks_limits(void **state)
{
        (void)state;
        assert_int_equal(DECODE("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 5), 1);
        assert_int_equal(chunks.out - 4, 5);
        /* 413 before the data is copied: nothing of the second chunk. */
        assert_int_equal(DECODE("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5), 413);
        assert_int_equal(chunks.out - 4, 3);
        assert_int_equal(DECODE("fffffffffffffff\r\n", 1000), 413);
        assert_int_equal(DECODE("1\r\na\r\n", 0), 413);
        /* Extensions and trailers: 16 KiB together. */
        static char big[20000];
        size_t n = 0;
        n += (size_t)snprintf(big, sizeof(big), "1;");
        memset(big + n, 'e', 16379);
        n += 16379;
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nx\r\n0\r\n\r\n");
        assert_int_equal(decode(big, n, 100), 400);
        n = (size_t)snprintf(big, sizeof(big), "1;");
        memset(big + n, 'e', 16370);
        n += 16370;
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nx\r\n0\r\n\r\n");
        assert_int_equal(decode(big, n, 100), 1);
        assert_int_equal(chunks.extra, n - 3);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_head_end_whole_and_partial),
            cmocka_unit_test(test_head_end_byte_by_byte),
            cmocka_unit_test(test_head_end_leading_empty_lines),
            cmocka_unit_test(test_pipelined),
            cmocka_unit_test(test_request_line),
            cmocka_unit_test(test_absolute_form),
            cmocka_unit_test(test_headers),
            cmocka_unit_test(test_value_bytes),
            cmocka_unit_test(test_header_limit),
            cmocka_unit_test(test_nuls),
            cmocka_unit_test(test_connection),
            cmocka_unit_test(test_content_length),
            cmocka_unit_test(test_transfer_encoding),
            cmocka_unit_test(test_expect),
            cmocka_unit_test(test_head_len_mismatch),
            cmocka_unit_test(test_chunks),
            cmocka_unit_test(test_chunks_bad),
            cmocka_unit_test(test_chunks_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
