/*
 * media_decode.h — untrusted bytes to 8-bit RGB plus what we record about
 * them: photo formats (model/image) and DICOM Part 10 (model/dicom).
 *
 * Every path that decodes bytes it did not make goes through
 * media_decode(): folder indexing (decode pool), image queries, captions,
 * reranking, DICOMweb's rendered frames.  It runs the decoders in isolated
 * worker processes (media_isolation.h), so a decoder that crashes, hangs
 * or allocates without bound costs one input, never the caller.
 */
#ifndef VLM_MEDIA_DECODE_H
#define VLM_MEDIA_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"
#include "model/dicom/dicom.h"
#include "model/image/image.h"

typedef struct media_decode_opts {
    uint64_t max_pixels; /* 0 = IMG_DEFAULT_MAX_PIXELS */
    /* JPEG fast path: decode at the smallest DCT scale whose shorter side
     * is still >= this (pass 2x the model input); 0 = exact decode. */
    int min_short_side;
    dicom_window window; /* DICOM VOI window; kind DEFAULT = per modality */
} media_decode_opts;

typedef struct media_image {
    img_rgb rgb;         /* upright (EXIF orientation applied) */
    img_info info;       /* EXIF date and orientation; for DICOM the size */
    const char *format;  /* "jpeg", "png", ..., "dicom" (static string) */
    dicom_header *dicom; /* de-identified DICOM fields, or NULL */
} media_image;

/* Decodes bytes named `name` (for messages and the extension check).
 * Returns VLM_OK and fills *out (free with media_image_free), or
 * VLM_EUNSUPPORTED with err left "" when the content is no image and the
 * name does not claim one either (a folder walk skips such files
 * silently), or another status with err naming `name` and the reason;
 * a decoder that died on the input gives VLM_EFORMAT ("x.dcm: decoder
 * crashed: SIGABRT"), one over the time limit VLM_ETOOBIG.  Thread-safe.
 * opts may be NULL (exact decode, default limits). */
int media_decode(const void *bytes, size_t len, const char *name,
                 const media_decode_opts *opts, media_image *out, char *err);

void media_image_free(media_image *m); /* frees and zeroes */

/* True for names whose extension claims an image format we read. */
int media_name_claims_image(const char *path);

#endif
