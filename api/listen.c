#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024

/* Splits "host:port" / "[v6]:port" and resolves it. 0 or -1 with err. */
static int
listen_resolve(const char *listen_addr, struct addrinfo **res, char *err, size_t errsz)
{
        char host[256];
        const char *colon = strrchr(listen_addr, ':');
        if (colon == NULL) {
                snprintf(err, errsz, "listen \"%s\": expected host:port", listen_addr);
                return -1;
        }
        size_t hlen = (size_t)(colon - listen_addr);
        if (hlen >= sizeof(host)) {
                snprintf(err, errsz, "listen \"%s\": host too long", listen_addr);
                return -1;
        }
        memcpy(host, listen_addr, hlen);
        host[hlen] = '\0';
        if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
                memmove(host, host + 1, hlen - 2);
                host[hlen - 2] = '\0';
        }
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
        int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, res);
        if (rc != 0) {
                snprintf(err, errsz, "listen \"%s\": %s", listen_addr, gai_strerror(rc));
                return -1;
        }
        return 0;
}

/* A socket bound to sa (SO_REUSEPORT when reuseport), listening when
 * backlog > 0. The fd, or -1 with errno set. */
static int
listen_socket(const struct sockaddr *sa, socklen_t salen, int reuseport, int backlog)
{
        int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
            bind(fd, sa, salen) != 0 || (backlog > 0 && listen(fd, backlog) != 0)) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

int
listen_open(const char *listen_addr, int n, int *fds, char *err, size_t errsz)
{
        struct addrinfo *res = NULL;
        if (listen_resolve(listen_addr, &res, err, errsz) != 0)
                return -1;
        int opened = 0, e = 0;
        for (struct addrinfo *ai = res; ai != NULL && opened == 0; ai = ai->ai_next) {
                struct sockaddr_storage ss;
                socklen_t sslen = (socklen_t)ai->ai_addrlen;
                memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
                /* A plain bind fails while anyone listens there, SO_REUSEPORT
                 * or not: that is the check the shared sockets cannot make. */
                int probe = listen_socket((struct sockaddr *)&ss, sslen, 0, 0);
                if (probe < 0) {
                        e = errno;
                        continue;
                }
                close(probe);
                for (; opened < n; opened++) {
                        fds[opened] =
                            listen_socket((struct sockaddr *)&ss, sslen, 1, LISTEN_BACKLOG);
                        if (fds[opened] < 0)
                                break;
                        /* Port 0: the others join the port the first one got. */
                        if (opened == 0)
                                getsockname(fds[0], (struct sockaddr *)&ss, &sslen);
                }
                if (opened < n) {
                        e = errno;
                        while (opened > 0)
                                close(fds[--opened]);
                }
        }
        freeaddrinfo(res);
        if (opened < n) {
                snprintf(err, errsz, "listen \"%s\": %s", listen_addr,
                         strerror(e ? e : EADDRNOTAVAIL));
                return -1;
        }
        return 0;
}
