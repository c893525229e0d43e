/* HTML text for the pages qpayd renders itself (the claim page): every value
 * that did not come from qpayd's own source is escaped on the way in. */
#ifndef QPAYD_API_HTML_H
#define QPAYD_API_HTML_H

#include <event2/buffer.h>

/* Appends s to b with & < > " ' escaped, safe in element text and in a
 * quoted attribute value. Bytes below 0x20 other than tab and newline
 * become U+FFFD. Returns 0, or -1 out of memory. */
int html_escape(struct evbuffer *b, const char *s);

/* The escaped copy of s (caller frees), or NULL out of memory. */
char *html_escape_new(const char *s);

#endif
