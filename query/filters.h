/*
 * filters.h — what users type for metadata filters (--after, --before,
 * --type, --min-size), checked and turned into a collection_filter
 * (schema/collection.h), which the search and classification run inside.
 *
 * Dates: "YYYY", "YYYY-MM", "YYYY-MM-DD", or "YYYY-MM-DD HH:MM[:SS]" (a
 * space or a T), meaning the start of that period, in local time like EXIF
 * dates.  --after DATE keeps images taken at or after it, --before DATE
 * those taken before it: `--after 2023 --before 2024` is the year 2023.
 */
#ifndef VLM_FILTERS_H
#define VLM_FILTERS_H

#include "model/core/vlm_error.h"

/* The formats images are stored as: jpeg png webp gif tiff bmp pnm dicom
 * dicomweb (NULL-terminated). */
extern const char *const filter_formats[];

/* DATE -> "YYYY:MM:DD HH:MM:SS" (the EXIF layout); VLM_EINVAL with err. */
int filter_parse_date(const char *text, char out[20], char *err);

/* "WxH" (positive whole numbers, at most 1000000) -> *w, *h. */
int filter_parse_size(const char *text, int *w, int *h, char *err);

/* A format name ("jpg" and "tif" are accepted for jpeg and tiff) -> the
 * stored name, or NULL with err (naming the closest one). */
const char *filter_parse_format(const char *text, char *err);

#endif
