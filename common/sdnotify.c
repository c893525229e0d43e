#include "sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int
sdnotify_address(const char *s, struct sockaddr_un *sa, socklen_t *len)
{
        size_t n = s != NULL ? strlen(s) : 0;
        if (n < 2 || (s[0] != '/' && s[0] != '@') || n > sizeof(sa->sun_path))
                return -1;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, s, n);
        if (s[0] == '@') {
                /* Abstract: a leading NUL, and the length says where it ends
                 * (no trailing NUL counts). */
                sa->sun_path[0] = '\0';
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        } else {
                if (n == sizeof(sa->sun_path))
                        return -1; /* no room for the NUL */
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        }
        return 0;
}

static int sdnotify_send_once(const char *msg);

int
sdnotify_send(const char *msg)
{
        if (sdnotify_send_once(msg) == 0)
                return 0;
        log_warn("cannot notify systemd", "message", msg);
        return -1;
}

static int
sdnotify_send_once(const char *msg)
{
        const char *path = getenv("NOTIFY_SOCKET");
        if (path == NULL || path[0] == '\0')
                return 0;
        struct sockaddr_un sa;
        socklen_t len;
        if (sdnotify_address(path, &sa, &len) != 0)
                return -1;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        size_t n = strlen(msg);
        ssize_t w;
        do
                w = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
        while (w < 0 && errno == EINTR);
        close(fd);
        return w == (ssize_t)n ? 0 : -1;
}

static int
sdnotify_u64(const char *s, uint64_t *out)
{
        if (s == NULL || *s < '0' || *s > '9')
                return -1;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -1;
        *out = v;
        return 0;
}

uint64_t
sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self)
{
        uint64_t v = 0, p = 0;
        if (sdnotify_u64(usec, &v) != 0)
                return 0;
        /* Set by systemd for the main process; a child that inherited the
         * environment must not ping in its place. */
        if (pid != NULL && (sdnotify_u64(pid, &p) != 0 || p != (uint64_t)self))
                return 0;
        return v;
}

uint64_t
sdnotify_watchdog_usec(void)
{
        return sdnotify_watchdog_parse(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
}

int
sdnotify_format_reloading(char *buf, size_t bufsz, uint64_t monotonic_usec)
{
        int n = snprintf(buf, bufsz, "RELOADING=1\nMONOTONIC_USEC=%llu",
                         (unsigned long long)monotonic_usec);
        return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

uint64_t
sdnotify_now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
sdnotify_reloading(void)
{
        char msg[64];
        if (sdnotify_format_reloading(msg, sizeof(msg), sdnotify_now_usec()) != 0)
                return -1;
        return sdnotify_send(msg);
}

void
sdnotify_watchdog_init(struct sdnotify_watchdog *w)
{
        w->interval_usec = sdnotify_watchdog_usec();
        w->last_usec = 0;
}

int
sdnotify_watchdog_wait_ms(const struct sdnotify_watchdog *w, uint64_t now_usec)
{
        if (w->interval_usec == 0)
                return -1;
        uint64_t due = w->last_usec + w->interval_usec / 2;
        if (w->last_usec == 0 || now_usec >= due)
                return 0;
        uint64_t ms = (due - now_usec + 999) / 1000;
        return ms > 60000 ? 60000 : (int)ms;
}

int
sdnotify_watchdog_ping(struct sdnotify_watchdog *w, uint64_t now_usec)
{
        if (sdnotify_watchdog_wait_ms(w, now_usec) != 0)
                return 0;
        w->last_usec = now_usec;
        return sdnotify_send("WATCHDOG=1");
}

static struct sdnotify_watchdog sdnotify_dog;
static int sdnotify_dog_read;

static struct sdnotify_watchdog *
sdnotify_own(void)
{
        if (!sdnotify_dog_read) {
                sdnotify_watchdog_init(&sdnotify_dog);
                sdnotify_dog_read = 1;
        }
        return &sdnotify_dog;
}

int
sdnotify_alive(void)
{
        return sdnotify_watchdog_ping(sdnotify_own(), sdnotify_now_usec());
}

int
sdnotify_alive_ms(void)
{
        return sdnotify_watchdog_wait_ms(sdnotify_own(), sdnotify_now_usec());
}
