/* The systemd notification protocol (sd_notify(3)), spoken directly: one
 * datagram per message to the AF_UNIX socket $NOTIFY_SOCKET names (a path,
 * or an abstract name written @name). Not libsystemd: the runtime
 * dependencies are fixed, and the protocol is a few lines. Every call does
 * nothing when $NOTIFY_SOCKET is unset (not run by systemd, or not
 * Type=notify). */
#ifndef QPAYD_COMMON_SDNOTIFY_H
#define QPAYD_COMMON_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* Fills *sa and *len for the socket name s ("/path" or "@abstract"). 0, or
 * -1 when s is empty, relative or too long. */
int sdnotify_address(const char *s, struct sockaddr_un *sa, socklen_t *len);

/* Sends msg (e.g. "READY=1") to $NOTIFY_SOCKET. 0 when sent or when there
 * is no socket to send to; -1 when the send failed, logged here (every
 * function below sends through this one): not fatal, since systemd then
 * times the start out or the watchdog fires, and says so in its own log. */
int sdnotify_send(const char *msg);

/* The watchdog interval from the values of $WATCHDOG_USEC and $WATCHDOG_PID
 * (either may be NULL), for the process self: 0 when there is none or it is
 * meant for another process (WATCHDOG_PID names a different pid). */
uint64_t sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self);
/* The same, from this process's environment. */
uint64_t sdnotify_watchdog_usec(void);

/* "RELOADING=1\nMONOTONIC_USEC=<now>": systemd 253 wants the timestamp
 * with RELOADING=1 (Type=notify-reload); 252 ignores it. 0, or -1 when buf
 * is too small. */
int sdnotify_format_reloading(char *buf, size_t bufsz, uint64_t monotonic_usec);
/* Sends RELOADING=1 with the current CLOCK_MONOTONIC time. */
int sdnotify_reloading(void);

/* Paces WATCHDOG=1: every half interval, as sd_watchdog_enabled(3) advises. */
struct sdnotify_watchdog {
        uint64_t interval_usec; /* 0: no watchdog */
        uint64_t last_usec;     /* CLOCK_MONOTONIC of the last ping */
};
/* Reads the interval from the environment; no ping sent yet. */
void sdnotify_watchdog_init(struct sdnotify_watchdog *w);
/* Milliseconds until the next ping is due (a poll timeout): -1 when there
 * is no watchdog, 0 when due now. */
int sdnotify_watchdog_wait_ms(const struct sdnotify_watchdog *w, uint64_t now_usec);
/* Sends WATCHDOG=1 when due at now_usec. 0, or -1 when a due ping failed. */
int sdnotify_watchdog_ping(struct sdnotify_watchdog *w, uint64_t now_usec);
/* The process's own watchdog, for a program whose loop runs in one thread
 * (the executor: its service loop and the pass inside it both call it):
 * read from the environment at the first call. sdnotify_alive pings when
 * due (0, or -1 when a due ping failed); sdnotify_alive_ms says in how many
 * milliseconds the next one is due (-1: no watchdog). */
int sdnotify_alive(void);
int sdnotify_alive_ms(void);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t sdnotify_now_usec(void);

#endif
