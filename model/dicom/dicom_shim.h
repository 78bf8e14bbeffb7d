/*
 * dicom_shim.h — internal C interface to the GDCM (C++) decoder in
 * dicom_decode.cpp.  It returns the first frame in modality units (stored
 * value × RescaleSlope + RescaleIntercept) for greyscale, or 8-bit RGB for
 * colour, plus the header fields and stored window.  Windowing happens in C
 * (dicom_window.c) so the same code serves files and tests.
 */
#ifndef VLM_DICOM_SHIM_H
#define VLM_DICOM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "model/dicom/dicom.h"

typedef struct dicom_raw {
    dicom_header hdr;      /* identifiers; window fields left zero */
    int width, height;
    int samples;           /* 1 = greyscale, 3 = colour */
    int monochrome1;       /* 1 if the display must be inverted */
    float *values;         /* samples == 1: width*height modality values */
    uint8_t *rgb;          /* samples == 3: width*height*3 RGB */
    int has_stored;        /* first WindowCenter/Width present and usable */
    double stored_center, stored_width;
    double range_lo, range_hi; /* modality-unit range of BitsStored */
} dicom_raw;

/* Decode from memory; `label` names the input in errors.  max_pixels caps
 * width*height (0 = IMG_DEFAULT_MAX_PIXELS).  Never prints; never throws.
 * Run dicom_validate first: GDCM asserts on some malformed input. */
int dicom_shim_read(const void *bytes, size_t len, const char *label,
                    unsigned long long max_pixels, dicom_raw *out, char *err);

void dicom_raw_free(dicom_raw *raw); /* frees buffers, zeroes the struct */

#ifdef __cplusplus
}
#endif

#endif
