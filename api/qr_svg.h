/* A QR code as inline SVG, drawn on the server with libqrencode (Debian
 * libqrencode-dev): the claim page needs no script and no image fetch, so
 * its Content-Security-Policy allows neither. */
#ifndef QPAYD_API_QR_SVG_H
#define QPAYD_API_QR_SVG_H

/* The <svg> element of text's QR code (error correction M, a 4-module quiet
 * zone, one path of dark modules), malloc'd; NULL when text does not fit a
 * QR code or out of memory. */
char *qr_svg_new(const char *text);

#endif
