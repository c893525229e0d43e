/* Which addresses a webhook may not reach (SSRF): private, loopback,
 * link-local, unspecified, multicast, reserved and documentation ranges, in
 * IPv4 and IPv6 (with the IPv4 inside a mapped or NAT64 address). */
#ifndef QPAYD_API_HOOK_ADDR_H
#define QPAYD_API_HOOK_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* 1 when sa (AF_INET or AF_INET6) is not a public internet address; any
 * other family counts as not public. */
int hook_addr_private(const struct sockaddr *sa);

/* The address as text ("192.0.2.1", "2001:db8::1") into buf; "" on failure. */
void hook_addr_text(const struct sockaddr *sa, char *buf, size_t size);

#endif
