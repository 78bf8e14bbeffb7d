/* exif_jpeg.h — test helper: a copy of a JPEG with an EXIF block (Make,
 * Model, DateTimeOriginal) written by libexif, for the filter tests. */
#ifndef VLM_TEST_EXIF_JPEG_H
#define VLM_TEST_EXIF_JPEG_H

/* Copies src (a JPEG) to dst with an APP1 EXIF segment after SOI; any of
 * the strings may be NULL.  Asserts on failure. */
void exif_jpeg_write(const char *src, const char *dst, const char *make,
                     const char *model, const char *datetime);

#endif
