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
 * Division of labour: GDCM parses the data set and decompresses the first
 * frame; the module copies out the stored samples of that frame exactly as
 * the standard lays them out (no colour conversion, no rescale, no LUT), and
 * the attributes the display pipeline needs.  Everything the standard says
 * about turning stored values into grey levels or RGB (PS3.3 C.7.6.3,
 * C.11.1, C.11.2, PS3.4 N.2) is done in C (dicom_pixels.c, dicom_grey.c,
 * dicom_colour.c), where it is testable without GDCM.
 */
#ifndef VLM_DICOM_SHIM_H
#define VLM_DICOM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "model/dicom/dicom.h"

/* A lookup table as stored (PS3.3 C.11.1.1.1, C.7.6.3.1.5, C.7.9.2). */
typedef struct dicom_lut {
    size_t entries; /* descriptor value 1 (0 there means 65536) */
    int first;      /* descriptor value 2: first input value mapped (signed
                       when the descriptor is SS or the pixels are signed) */
    int bits;       /* descriptor value 3: bits per entry (8..16) */
    int segmented;  /* data holds segments (C.7.9.2), not entries */
    uint16_t *data; /* `count` words in host order; NULL = no LUT */
    size_t count;
} dicom_lut;

typedef struct dicom_raw {
    dicom_header hdr; /* identifiers; window fields left zero */
    int width, height;
    int samples;        /* SamplesPerPixel: 1 or 3 */
    int planar;         /* PlanarConfiguration of `frame` */
    int bits_allocated; /* 1, 8, 16, 32 or 64 */
    int bits_stored, high_bit;
    int is_signed;        /* PixelRepresentation 1 */
    int is_float;         /* Float / Double Float Pixel Data: IEEE samples */
    int big_endian;       /* multi-byte samples in `frame` are big-endian */
    char photometric[17]; /* of `frame`: the decoder may have changed it */
    int subsampled;       /* native YBR_*_422: Y1 Y2 Cb Cr per two pixels */
    uint8_t *frame;       /* first frame as stored, after decompression */
    size_t frame_len;
    /* Modality LUT module, or the frame's Pixel Value Transformation. */
    double slope, intercept; /* 1 and 0 when absent */
    dicom_lut modality_lut;
    /* VOI LUT module, or the frame's Frame VOI LUT: first view only. */
    int has_window;
    double window_center, window_width;
    dicom_voi_function voi_function;
    dicom_lut voi_lut;
    /* PALETTE COLOR tables, or a Supplemental Palette (supplemental = 1:
     * stored values inside the table's range are shown in colour). */
    dicom_lut palette[3];
    int supplemental;
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
#define DICOM_SHIM_ABI (0x20000u + (unsigned)sizeof(dicom_raw))

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
