/* The HTTP client against real local sockets: above all the `sent` flag,
 * which decides whether a failed payout may be retried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpc.h"

enum server_mode {
        SERVER_SILENT, /* reads the request, never answers */
        SERVER_CLOSE,  /* reads the request, closes without a byte */
        SERVER_ANSWER, /* answers 200 with a body */
        SERVER_LARGE   /* answers 200 with 5000 bytes and no Content-Length */
};

struct server {
        int fd;
        int port;
        enum server_mode mode;
        char req[8192];
        size_t reqlen;
        pthread_t thread;
};

/* Reads one request: headers, then Content-Length bytes of body. */
static void
server_read_request(struct server *s, int c)
{
        size_t body = 0;
        char *end = NULL;
        while (s->reqlen + 1 < sizeof(s->req)) {
                ssize_t n = recv(c, s->req + s->reqlen, sizeof(s->req) - 1 - s->reqlen, 0);
                if (n <= 0)
                        return;
                s->reqlen += (size_t)n;
                s->req[s->reqlen] = '\0';
                if (end == NULL && (end = strstr(s->req, "\r\n\r\n")) != NULL) {
                        const char *cl = strcasestr(s->req, "Content-Length:");
                        body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
                }
                if (end != NULL && s->reqlen >= (size_t)(end + 4 - s->req) + body)
                        return;
        }
}

static void *
server_main(void *arg)
{
        struct server *s = arg;
        int c = accept(s->fd, NULL, NULL);
        char buf[6000];
        if (c < 0)
                return NULL;
        server_read_request(s, c);
        switch (s->mode) {
        case SERVER_SILENT:
                /* Until the client gives up. */
                while (recv(c, buf, sizeof(buf), 0) > 0)
                        ;
                break;
        case SERVER_CLOSE:
                break;
        case SERVER_ANSWER: {
                const char *a = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 11\r\nConnection: close\r\n\r\nhello world";
                (void)!send(c, a, strlen(a), MSG_NOSIGNAL);
                break;
        }
        case SERVER_LARGE: {
                const char *h = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
                memset(buf, 'x', 5000);
                (void)!send(c, h, strlen(h), MSG_NOSIGNAL);
                (void)!send(c, buf, 5000, MSG_NOSIGNAL);
                break;
        }
        }
        close(c);
        return NULL;
}

static int
listener(int *port, int do_listen)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        if (do_listen)
                assert_int_equal(listen(fd, 4), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
        *port = ntohs(a.sin_port);
        return fd;
}

static void
server_start(struct server *s, enum server_mode mode)
{
        memset(s, 0, sizeof(*s));
        s->mode = mode;
        s->fd = listener(&s->port, 1);
        assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void
server_stop(struct server *s)
{
        pthread_join(s->thread, NULL);
        close(s->fd);
}

static void
post(struct server *s, struct httpc_response *resp, long timeout, size_t max)
{
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/payinvoice", s->port);
        struct httpc_request req = {
            .method = "POST",
            .url = url,
            .content_type = "application/x-www-form-urlencoded",
            .body = "invoice=lnbc1&amountSat=10",
            .body_len = strlen("invoice=lnbc1&amountSat=10"),
            .basic_user = "",
            .basic_password = "secret",
            .connect_timeout_secs = 2,
            .timeout_secs = timeout,
            .max_response = max,
        };
        httpc_perform(&req, resp);
}

static void
test_form(void **state)
{
        (void)state;
        const char *pairs[] = {"invoice", "lnbc1 x&y=z", "amountSat", "1000",
                               "message", "café/ok+",    NULL};
        char *f = httpc_form(pairs);
        assert_non_null(f);
        assert_string_equal(f,
                            "invoice=lnbc1%20x%26y%3Dz&amountSat=1000&message=caf%C3%A9%2Fok%2B");
        free(f);
        const char *none[] = {NULL};
        f = httpc_form(none);
        assert_string_equal(f, "");
        free(f);
}

static void
test_refused_not_sent(void **state)
{
        (void)state;
        int port;
        /* Bound but not listening: the connect is refused. */
        int fd = listener(&port, 0);
        char url[64];
        struct httpc_response resp;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
        struct httpc_request req = {.method = "GET", .url = url, .basic_password = "secret"};
        assert_int_equal(httpc_perform(&req, &resp), -1);
        assert_int_equal(resp.err, HTTPC_ERR_CONNECT);
        assert_int_equal(resp.sent, 0);
        assert_null(strstr(resp.errmsg, "secret"));
        httpc_response_free(&resp);
        close(fd);
}

static void
test_unroutable_not_sent(void **state)
{
        (void)state;
        struct httpc_response resp;
        /* TEST-NET-1: either unreachable at once or a connect timeout; never sent. */
        struct httpc_request req = {
            .method = "GET", .url = "http://192.0.2.1:9/x", .connect_timeout_secs = 1};
        assert_int_equal(httpc_perform(&req, &resp), -1);
        assert_true(resp.err == HTTPC_ERR_CONNECT || resp.err == HTTPC_ERR_TIMEOUT);
        assert_int_equal(resp.sent, 0);
        httpc_response_free(&resp);
}

static void
test_connect_timeout_not_sent(void **state)
{
        (void)state;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        int fds[4], port;
        /* A listener that never accepts, its backlog filled: the kernel
         * drops further SYNs, so the client times out while connecting. */
        int fd = listener(&port, 0);
        assert_int_equal(listen(fd, 0), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
        for (int i = 0; i < 4; i++) {
                fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                (void)!connect(fds[i], (struct sockaddr *)&a, sizeof(a));
        }
        char url[64];
        struct httpc_response resp;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/payinvoice", port);
        struct httpc_request req = {.method = "POST",
                                    .url = url,
                                    .body = "x=1",
                                    .body_len = 3,
                                    .connect_timeout_secs = 1,
                                    .timeout_secs = 3};
        assert_int_equal(httpc_perform(&req, &resp), -1);
        assert_int_equal(resp.err, HTTPC_ERR_TIMEOUT);
        assert_int_equal(resp.sent, 0);
        httpc_response_free(&resp);
        for (int i = 0; i < 4; i++)
                close(fds[i]);
        close(fd);
}

static void
test_silent_timeout_sent(void **state)
{
        (void)state;
        struct server s;
        struct httpc_response resp;
        server_start(&s, SERVER_SILENT);
        post(&s, &resp, 1, 0);
        server_stop(&s);
        assert_int_equal(resp.err, HTTPC_ERR_TIMEOUT);
        assert_int_equal(resp.sent, 1);
        assert_int_equal(resp.status, 0);
        /* The server did get the whole request. */
        assert_non_null(strstr(s.req, "invoice=lnbc1&amountSat=10"));
        httpc_response_free(&resp);
}

static void
test_closed_without_answer_sent(void **state)
{
        (void)state;
        struct server s;
        struct httpc_response resp;
        server_start(&s, SERVER_CLOSE);
        post(&s, &resp, 5, 0);
        server_stop(&s);
        assert_int_equal(resp.err, HTTPC_ERR_TRANSFER);
        assert_int_equal(resp.sent, 1);
        assert_null(strstr(resp.errmsg, "secret"));
        assert_null(strstr(resp.errmsg, "OnNlY3JldA"));
        httpc_response_free(&resp);
}

static void
test_answer(void **state)
{
        (void)state;
        struct server s;
        struct httpc_response resp;
        server_start(&s, SERVER_ANSWER);
        post(&s, &resp, 5, 0);
        server_stop(&s);
        assert_int_equal(resp.err, HTTPC_OK);
        assert_int_equal(resp.sent, 1);
        assert_int_equal(resp.status, 200);
        assert_int_equal(resp.len, 11);
        assert_string_equal(resp.body, "hello world");
        /* base64(":secret"): phoenixd's empty user name */
        assert_non_null(strstr(s.req, "\r\nAuthorization: Basic OnNlY3JldA==\r\n"));
        assert_non_null(strstr(s.req, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
        assert_true(strncmp(s.req, "POST /payinvoice HTTP/1.1\r\n", 27) == 0);
        assert_null(strstr(s.req, "Expect:"));
        httpc_response_free(&resp);
}

static void
test_bearer_get(void **state)
{
        (void)state;
        struct server s;
        struct httpc_response resp;
        char url[64];
        server_start(&s, SERVER_ANSWER);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/lightning/sends/ab", s.port);
        struct httpc_request req = {.method = "GET", .url = url, .bearer = "ACoqKioq"};
        assert_int_equal(httpc_perform(&req, &resp), 0);
        server_stop(&s);
        assert_int_equal(resp.status, 200);
        assert_true(strncmp(s.req, "GET /api/v1/lightning/sends/ab HTTP/1.1\r\n", 41) == 0);
        assert_non_null(strstr(s.req, "\r\nAuthorization: Bearer ACoqKioq\r\n"));
        httpc_response_free(&resp);
}

static void
test_too_large(void **state)
{
        (void)state;
        struct server s;
        struct httpc_response resp;
        server_start(&s, SERVER_LARGE);
        post(&s, &resp, 5, 1000);
        server_stop(&s);
        assert_int_equal(resp.err, HTTPC_ERR_TOO_LARGE);
        assert_int_equal(resp.sent, 1);
        assert_null(resp.body);
        httpc_response_free(&resp);
}

static void
test_usage(void **state)
{
        (void)state;
        struct httpc_response resp;
        struct httpc_request req = {.method = "PUT", .url = "http://127.0.0.1:1/"};
        assert_int_equal(httpc_perform(&req, &resp), -1);
        assert_int_equal(resp.err, HTTPC_ERR_USAGE);
        assert_int_equal(resp.sent, 0);
        req.method = "GET";
        req.url = "file:///etc/passwd";
        assert_int_equal(httpc_perform(&req, &resp), -1);
        assert_int_equal(resp.sent, 0);
        assert_null(resp.body);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_form),
            cmocka_unit_test(test_refused_not_sent),
            cmocka_unit_test(test_unroutable_not_sent),
            cmocka_unit_test(test_connect_timeout_not_sent),
            cmocka_unit_test(test_silent_timeout_sent),
            cmocka_unit_test(test_closed_without_answer_sent),
            cmocka_unit_test(test_answer),
            cmocka_unit_test(test_bearer_get),
            cmocka_unit_test(test_too_large),
            cmocka_unit_test(test_usage),
        };
        if (httpc_global_init() != 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
