#include "qr_svg.h"

#include <event2/buffer.h>
#include <qrencode.h>
#include <stdlib.h>

#define QR_SVG_QUIET 4

char *
qr_svg_new(const char *text)
{
        QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (q == NULL)
                return NULL;
        struct evbuffer *b = evbuffer_new();
        char *out = NULL;
        if (b == NULL)
                goto done;
        int size = q->width + 2 * QR_SVG_QUIET;
        int bad = evbuffer_add_printf(b,
                                      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
                                      "%d\" class=\"qr\" role=\"img\" aria-label=\"QR code\" "
                                      "shape-rendering=\"crispEdges\"><rect width=\"%d\" "
                                      "height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                                      size, size, size, size) < 0;
        for (int y = 0; y < q->width && !bad; y++)
                for (int x = 0; x < q->width && !bad; x++)
                        if (q->data[y * q->width + x] & 1)
                                bad = evbuffer_add_printf(b, "M%d %dh1v1h-1z", x + QR_SVG_QUIET,
                                                          y + QR_SVG_QUIET) < 0;
        if (!bad && evbuffer_add(b, "\"/></svg>", 10) == 0) {
                size_t n = evbuffer_get_length(b);
                out = malloc(n);
                if (out != NULL)
                        evbuffer_remove(b, out, n);
        }
        evbuffer_free(b);
done:
        QRcode_free(q);
        return out;
}
