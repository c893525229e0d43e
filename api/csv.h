/* CSV for accountants (docs/api.md "CSV columns"): RFC 4180 fields and
 * lines, amounts in BTC as exact decimals, and text that a spreadsheet
 * would run as a formula neutralised. Formats only: nothing here answers. */
#ifndef QPAYD_API_CSV_H
#define QPAYD_API_CSV_H

#include <event2/buffer.h>
#include <libpq-fe.h>
#include <stddef.h>

/* How a result column becomes a field. */
enum csv_kind {
        CSV_PLAIN, /* ids, statuses, numbers, timestamps: as PostgreSQL gives them */
        CSV_TEXT,  /* text from outside (description, reason, reference, …):
                    * a leading = + - @ TAB or CR gets a ' before it */
        CSV_BTC,   /* a sats column shown in BTC: 150000000 -> 1.50000000 */
        CSV_BOOL,  /* t/f -> true/false */
};

/* BTC with 8 decimals from an integer number of sats in decimal text, by
 * integer arithmetic only (no rounding can happen). 0, or -1 when sats is
 * not an integer within 19 digits or out does not fit. */
int csv_btc(const char *sats, char *out, size_t size);

/* Appends the field, quoted when it holds a comma, a quote, CR or LF
 * (quotes doubled), or when neutralised. NULL is an empty field. 0 or -1
 * (out of memory, or a CSV_BTC that is not an amount). */
int csv_field(struct evbuffer *out, const char *v, enum csv_kind kind);

/* Appends row of r: columns 0..ncols-1 as kinds says, comma separated,
 * CRLF ended. 0 or -1. */
int csv_row(struct evbuffer *out, const PGresult *r, int row, const enum csv_kind *kinds,
            int ncols);

#endif
