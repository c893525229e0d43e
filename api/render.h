/* The one style of every JSON body qpayd serve answers: compact, no
 * whitespace outside strings. http_reply_text passes each body through here,
 * whoever built it (PostgreSQL's refund_json()/invoice_json(), jsonb columns,
 * cJSON), so they all come out alike. Depends on nothing. */
#ifndef QPAYD_API_RENDER_H
#define QPAYD_API_RENDER_H

#include <stddef.h>

/* Writes src[0..len), valid JSON text, to dst without its insignificant
 * whitespace (space, tab, CR, LF outside strings); every other byte is kept
 * as it is, so numbers keep every digit and strings every escape. dst has
 * room for len bytes and may be src itself. Returns the length written. On
 * text that is not valid JSON the result is unspecified but stays within
 * dst[0..len). */
size_t render_json_compact(char *dst, const char *src, size_t len);

#endif
