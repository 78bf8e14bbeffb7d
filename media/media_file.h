/*
 * media_file.h — files users point us at: read whole (bounded), or loaded
 * straight to RGB through media_decode() for the paths that work on one
 * file at a time (image queries, captions, reranking).
 */
#ifndef VLM_MEDIA_FILE_H
#define VLM_MEDIA_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "media/media_decode.h"

#define MEDIA_MAX_FILE_BYTES ((int64_t)1 << 30) /* 1 GiB */

/* Reads a whole regular file into *buf (malloc'ed), refusing files over
 * max_bytes (0 = MEDIA_MAX_FILE_BYTES) with VLM_ETOOBIG. */
int media_read_file(const char *path, int64_t max_bytes, uint8_t **buf,
                    size_t *len, char *err);

/* Any file we index (photo formats or DICOM) into upright RGB, decoded at
 * full resolution.  window: DICOM VOI window (NULL = per-modality default).
 * A file that is no image fails with VLM_EUNSUPPORTED and a message. */
int media_load_file(const char *path, const dicom_window *window, img_rgb *out,
                    char *err);

#endif
