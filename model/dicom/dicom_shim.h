/*
 * dicom_shim.h — internal C interface to the GDCM (C++) decoder.
 *
 * The decoder (dicom_decode.cpp) is built as a separate loadable module,
 * libvlm_gdcm.so, so that processes which never decode DICOM neither link
 * GDCM nor run its global constructors (~58 M instructions of dictionary
 * loading).  dicom_shim_loader.c dlopen()s it on the first call to
 * dicom_shim_read(), looking in $VLMINDEX_LIBDIR, then the install libdir,
 * then the build tree.
 *
 * The module returns the first frame in modality units (stored value ×
 * RescaleSlope + RescaleIntercept) for greyscale, or 8-bit RGB for colour,
 * plus the header fields and stored window.  Windowing happens in C
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
    dicom_header hdr; /* identifiers; window fields left zero */
    int width, height;
    int samples;     /* 1 = greyscale, 3 = colour */
    int monochrome1; /* 1 if the display must be inverted */
    float *values;   /* samples == 1: width*height modality values */
    uint8_t *rgb;    /* samples == 3: width*height*3 RGB */
    int has_stored;  /* first WindowCenter/Width present and usable */
    double stored_center, stored_width;
    double range_lo, range_hi; /* modality-unit range of BitsStored */
} dicom_raw;

/* Decode from memory; `label` names the input in errors.  max_pixels caps
 * width*height (0 = IMG_DEFAULT_MAX_PIXELS).  Never prints; never throws.
 * Run dicom_validate first: GDCM asserts on some malformed input.
 * Loads the module on first use (thread-safe); if it cannot be loaded,
 * returns VLM_EUNSUPPORTED with "label: DICOM support unavailable: ...". */
int dicom_shim_read(const void *bytes, size_t len, const char *label,
                    unsigned long long max_pixels, dicom_raw *out, char *err);

void dicom_raw_free(dicom_raw *raw); /* frees buffers, zeroes the struct */

/* ---- the module's side -------------------------------------------------- */

#define DICOM_SHIM_MODULE "libvlm_gdcm.so"
/* Changes whenever dicom_raw or the entry points change, so a stale
 * installed module from another build is refused instead of misread. */
#define DICOM_SHIM_ABI (0x10000u + (unsigned)sizeof(dicom_raw))

/* Entry points exported by the module (looked up by these names). */
typedef int dicom_shim_read_fn(const void *bytes, size_t len, const char *label,
                               unsigned long long max_pixels, dicom_raw *out,
                               char *err);
typedef unsigned dicom_shim_abi_fn(void);
#define DICOM_SHIM_READ_SYMBOL "vlm_gdcm_read"
#define DICOM_SHIM_ABI_SYMBOL  "vlm_gdcm_abi"
/* Defined only in the module (whose other symbols are hidden); C code
 * reaches them through dlsym, never by linking. */
__attribute__((visibility("default"))) dicom_shim_read_fn vlm_gdcm_read;
__attribute__((visibility("default"))) dicom_shim_abi_fn vlm_gdcm_abi;

/* Try to load the module from each directory in turn (NULL/"" entries are
 * skipped).  On success returns the read entry point; on failure NULL and
 * err says why, naming the module and dlerror().  Exposed for tests; the
 * decoder itself goes through dicom_shim_read. */
dicom_shim_read_fn *dicom_shim_load_from(const char *const *dirs, size_t n,
                                         char *err);

#ifdef __cplusplus
}
#endif

#endif
