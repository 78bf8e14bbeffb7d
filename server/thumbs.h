/*
 * thumbs.h — pictures of indexed images for the web page: thumbnails
 * cached on disk, and whole images rendered as JPEG (DICOM slices with a
 * chosen window; formats browsers do not show).
 *
 * Decoding goes through media_decode() (untrusted bytes); a JPEG is
 * decoded at the smallest libjpeg-turbo DCT scale that still covers the
 * thumbnail (a 4000x3000 photo decodes at 1/8), resized with the
 * project's antialiased bicubic resampler, and encoded by libjpeg-turbo.
 *
 * Cache: COLLECTION/thumbs/<size>/<id % 256>/<id>-<content hash>.jpg
 * (private, like the collection), written atomically; a row whose bytes
 * changed gets a new file and its old one is removed.
 */
#ifndef VLM_THUMBS_H
#define VLM_THUMBS_H

#include <stddef.h>
#include <stdint.h>

#include "model/dicom/dicom.h"

typedef struct thumb_image {
    int64_t id;
    const char *path;         /* the file */
    const char *content_hash; /* "" when unknown (then never cached) */
} thumb_image;

/* The thumbnail (longest side `size` px) as JPEG bytes in *out (malloc'ed),
 * from the cache under coll_dir or made and cached. */
int thumb_get(const char *coll_dir, const thumb_image *im, int size,
              uint8_t **out, size_t *len, char *err);

/* The image as JPEG, its longest side at most max_side (0 = as stored,
 * up to 8192).  window: DICOM VOI window (NULL = the default). */
int thumb_render(const char *path, int max_side, const dicom_window *window,
                 uint8_t **out, size_t *len, char *err);

#endif
