/*
 * image_format.c — format names and sniffing from the leading bytes.  File
 * extensions are never consulted.
 */
#include <string.h>

#include "model/image/image.h"

const char *img_format_name(img_format f)
{
    switch (f) {
    case IMG_JPEG: return "jpeg";
    case IMG_PNG: return "png";
    case IMG_WEBP: return "webp";
    case IMG_GIF: return "gif";
    case IMG_TIFF: return "tiff";
    case IMG_BMP: return "bmp";
    case IMG_PNM: return "pnm";
    default: return "unknown";
    }
}

static int starts_with(const unsigned char *b, size_t len, const void *magic,
                       size_t n)
{
    return len >= n && memcmp(b, magic, n) == 0;
}

static int is_pnm(const unsigned char *b, size_t len)
{
    return len >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' &&
           (b[2] == ' ' || b[2] == '\t' || b[2] == '\n' || b[2] == '\r' ||
            b[2] == '#');
}

img_format img_sniff(const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    if (!b) return IMG_UNKNOWN;
    if (starts_with(b, len, "\xff\xd8\xff", 3)) return IMG_JPEG;
    if (starts_with(b, len, "\x89PNG\r\n\x1a\n", 8)) return IMG_PNG;
    if (starts_with(b, len, "GIF87a", 6) || starts_with(b, len, "GIF89a", 6))
        return IMG_GIF;
    if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
        return IMG_WEBP;
    if (starts_with(b, len, "II*\0", 4) || starts_with(b, len, "MM\0*", 4) ||
        starts_with(b, len, "II+\0", 4) || starts_with(b, len, "MM\0+", 4))
        return IMG_TIFF;
    if (len >= 18 && b[0] == 'B' && b[1] == 'M') return IMG_BMP;
    if (is_pnm(b, len)) return IMG_PNM;
    return IMG_UNKNOWN;
}
