/* Random, unguessable identifiers for invoices, refunds and requests. */
#ifndef QPAYD_IDS_H
#define QPAYD_IDS_H

#include <stddef.h>

/* Longest prefix + 26 base32 characters + NUL. */
#define ID_MAX 40

/* Writes prefix followed by 26 lowercase Crockford base32 characters of 128
 * random bits (libsodium) into out. Returns 0, or -1 when the prefix does not
 * fit in ID_MAX. sodium_init() must have succeeded before. */
int ids_new(char out[ID_MAX], const char *prefix);

/* Like ids_new for ids that must be unique but guard nothing (request ids): a
 * per-thread generator seeded from libsodium, with no system call per id. */
int ids_new_fast(char out[ID_MAX], const char *prefix);

/* True when s looks like an id with that prefix: prefix, then exactly 26
 * characters of the alphabet. Used to reject junk before touching the database. */
int ids_valid(const char *s, const char *prefix);

#endif
