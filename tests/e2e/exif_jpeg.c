#include "tests/e2e/exif_jpeg.h"

#include <criterion/criterion.h>
#include <libexif/exif-data.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *v)
{
    if (!v) return;
    ExifMem *mem = exif_mem_new_default();
    ExifEntry *e = exif_entry_new_mem(mem);
    size_t n = strlen(v) + 1;
    e->data = exif_mem_alloc(mem, (ExifLong)n);
    memcpy(e->data, v, n);
    e->size = (unsigned)n;
    e->components = n;
    e->format = EXIF_FORMAT_ASCII;
    exif_content_add_entry(ed->ifd[ifd], e);
    e->tag = tag;
    exif_entry_unref(e);
    exif_mem_unref(mem);
}

void exif_jpeg_write(const char *src, const char *dst, const char *make,
                     const char *model, const char *datetime)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    cr_assert(in && out, "cannot copy %s", src);
    unsigned char soi[2];
    cr_assert_eq(fread(soi, 1, 2, in), 2);
    cr_assert(soi[0] == 0xff && soi[1] == 0xd8, "%s is no JPEG", src);
    ExifData *ed = exif_data_new();
    exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
    set_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, make);
    set_ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL, model);
    set_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, datetime);
    unsigned char *blob = NULL;
    unsigned int len = 0;
    exif_data_save_data(ed, &blob, &len); /* starts with "Exif\0\0" */
    cr_assert(blob && len > 0 && len < 65000);
    unsigned char app1[4] = {0xff, 0xe1, (unsigned char)((len + 2) >> 8),
                             (unsigned char)((len + 2) & 0xff)};
    fwrite(soi, 1, 2, out);
    fwrite(app1, 1, 4, out);
    fwrite(blob, 1, len, out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    free(blob);
    exif_data_unref(ed);
    fclose(in);
    fclose(out);
}
