/*
 * exif_orientation.c — Orientation, DateTimeOriginal and the camera (Make,
 * Model) through libexif.
 * libexif accepts a whole JPEG stream (it finds the APP1 segment) or a blob
 * starting with "Exif\0\0"; bare TIFF-structured blobs (PNG eXIf, WebP EXIF)
 * get that prefix added here.
 */
#include <libexif/exif-data.h>
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

static ExifData *load(const uint8_t *blob, size_t len)
{
    if (len > 0x7fffffff) return NULL;
    int bare_tiff =
        len >= 4 && (!memcmp(blob, "II*\0", 4) || !memcmp(blob, "MM\0*", 4));
    if (!bare_tiff) return exif_data_new_from_data(blob, (unsigned)len);
    uint8_t *tmp = malloc(len + 6);
    if (!tmp) return NULL;
    memcpy(tmp, "Exif\0\0", 6);
    memcpy(tmp + 6, blob, len);
    ExifData *d = exif_data_new_from_data(tmp, (unsigned)(len + 6));
    free(tmp);
    return d;
}

static void read_datetime(ExifData *d, char datetime[20])
{
    ExifEntry *e = exif_content_get_entry(d->ifd[EXIF_IFD_EXIF],
                                          EXIF_TAG_DATE_TIME_ORIGINAL);
    if (!e || e->format != EXIF_FORMAT_ASCII || e->size < 19 || !e->data)
        return;
    memcpy(datetime, e->data, 19);
    datetime[19] = '\0';
}

/* An ASCII tag of IFD 0 (Make, Model) without trailing spaces/NULs. */
static void read_text(ExifData *d, ExifTag tag, char out[64])
{
    ExifEntry *e = exif_content_get_entry(d->ifd[EXIF_IFD_0], tag);
    out[0] = '\0';
    if (!e || e->format != EXIF_FORMAT_ASCII || !e->data) return;
    size_t n = e->size < 63 ? e->size : 63;
    memcpy(out, e->data, n);
    out[n] = '\0';
    n = strlen(out);
    while (n && (out[n - 1] == ' ')) out[--n] = '\0';
}

void img_exif_read(const uint8_t *blob, size_t len, int *orientation,
                   char datetime[20], char make[64], char model[64])
{
    *orientation = 1;
    datetime[0] = make[0] = model[0] = '\0';
    if (!blob || len < 8) return;
    ExifData *d = load(blob, len);
    if (!d) return;
    ExifEntry *e =
        exif_content_get_entry(d->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data) {
        int v = exif_get_short(e->data, exif_data_get_byte_order(d));
        if (v >= 1 && v <= 8) *orientation = v;
    }
    read_datetime(d, datetime);
    read_text(d, EXIF_TAG_MAKE, make);
    read_text(d, EXIF_TAG_MODEL, model);
    exif_data_unref(d);
}
