/* The operator dashboard's files (web/dashboard/, docs/dashboard.md), built
 * into the binary by web/embed.sh and served from the loop, without the
 * database, under [server] dashboard_path. */
#ifndef QPAYD_API_STATIC_H
#define QPAYD_API_STATIC_H

#include <stddef.h>

#include "http.h"

struct static_file {
        const char *name; /* "index.html": no directories */
        const char *type; /* Content-Type */
        const unsigned char *data;
        size_t len;
        const char *etag; /* quoted, from the content */
};

/* build/gen/web_embed.c */
extern const struct static_file static_files[];
extern const size_t static_files_count;

/* The file called name, or NULL. */
const struct static_file *static_find(const char *name);

/* Answers c and returns 1 when its path is the dashboard's (a file, 404 for
 * an unknown one, 405 for a method other than GET and HEAD); returns 0,
 * answering nothing, for every other path or when the dashboard is off. */
int static_serve(struct http_ctx *c);

#endif
