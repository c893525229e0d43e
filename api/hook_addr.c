#include "hook_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

/* a (host order) within net/bits. */
static int
hook_addr_in4(uint32_t a, uint32_t net, int bits)
{
        uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
        return (a & mask) == (net & mask);
}

static int
hook_addr_private4(uint32_t a)
{
        static const struct {
                uint32_t net;
                int bits;
        } blocked[] = {
            {0x00000000u, 8},  /* 0.0.0.0/8 "this network" */
            {0x0a000000u, 8},  /* 10/8 */
            {0x64400000u, 10}, /* 100.64/10 carrier-grade NAT */
            {0x7f000000u, 8},  /* 127/8 loopback */
            {0xa9fe0000u, 16}, /* 169.254/16 link-local (cloud metadata) */
            {0xac100000u, 12}, /* 172.16/12 */
            {0xc0000000u, 24}, /* 192.0.0/24 protocol assignments */
            {0xc0000200u, 24}, /* 192.0.2/24 documentation */
            {0xc0a80000u, 16}, /* 192.168/16 */
            {0xc6120000u, 15}, /* 198.18/15 benchmarking */
            {0xc6336400u, 24}, /* 198.51.100/24 documentation */
            {0xcb007100u, 24}, /* 203.0.113/24 documentation */
            {0xe0000000u, 4},  /* 224/4 multicast */
            {0xf0000000u, 4},  /* 240/4 reserved, broadcast */
        };
        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
                if (hook_addr_in4(a, blocked[i].net, blocked[i].bits))
                        return 1;
        return 0;
}

static int
hook_addr_private6(const unsigned char *b)
{
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
        static const unsigned char zero[16] = {0};
        if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 ||
            memcmp(b, zero, 12) == 0) /* mapped, NAT64, compatible (::a.b.c.d, ::, ::1) */
                return memcmp(b, zero, 12) == 0 ||
                       hook_addr_private4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                                          (uint32_t)b[14] << 8 | b[15]);
        if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
                return 1;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
                return 1;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 site-local (deprecated) */
                return 1;
        if (b[0] == 0xff) /* ff00::/8 multicast */
                return 1;
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) /* 2001:db8::/32 */
                return 1;
        if (b[0] == 0x01 && b[1] == 0x00 && memcmp(b + 2, zero, 6) == 0) /* 100::/64 discard */
                return 1;
        return 0;
}

int
hook_addr_private(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET)
                return hook_addr_private4(
                    ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
        if (sa->sa_family == AF_INET6)
                return hook_addr_private6(
                    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
        return 1;
}

void
hook_addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
        const void *a = NULL;
        if (sa->sa_family == AF_INET)
                a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        else if (sa->sa_family == AF_INET6)
                a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (size == 0)
                return;
        if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)size) == NULL)
                buf[0] = '\0';
}
