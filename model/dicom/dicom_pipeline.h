/*
 * dicom_pipeline.h — internal: the display pipeline from the stored samples
 * of one frame (dicom_raw) to 8-bit RGB, as the standard defines it.
 *
 *   samples    dicom_pixels.c  stored value of sample i: BitsStored bits at
 *                              HighBit, sign-extended; 1-bit, 8..32-bit,
 *                              either byte order, float and double
 *   LUTs       dicom_lut.c     descriptor/data tables (PS3.3 C.11.1.1.1),
 *                              segmented palettes expanded (C.7.9.2)
 *   greyscale  dicom_grey.c    Modality LUT → VOI → MONOCHROME1 inversion
 *                              (PS3.4 N.2), supplemental palette
 *   colour     dicom_colour.c  RGB, YBR_* (C.7.6.3.1.2), PALETTE COLOR
 *
 * Output is always 8 bits per channel: a grey level is replicated to R, G
 * and B; colour samples of more than 8 bits and 16-bit palette entries are
 * scaled by 255 / (2^bits − 1) and rounded.
 */
#ifndef VLM_DICOM_PIPELINE_H
#define VLM_DICOM_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "model/dicom/dicom_shim.h"

/* ---- samples ------------------------------------------------------------ */

typedef struct dicom_samples {
    const uint8_t *p;
    size_t count; /* samples available in p */
    int bytes;    /* bytes per sample; 0 for 1-bit data */
    int shift, bits_stored, is_signed, is_float, big_endian;
} dicom_samples;

void dicom_samples_init(dicom_samples *s, const dicom_raw *r);

/* Stored value of sample i (i < count). */
double dicom_sample(const dicom_samples *s, size_t i);

/* Integer samples of at most 2 bytes (or 1 bit): the BitsStored bits of
 * sample i as an unsigned pattern, for table lookups; inline because it
 * runs once per pixel. */
static inline uint32_t dicom_sample_pattern(const dicom_samples *s, size_t i)
{
    const uint8_t *p = s->p;
    uint32_t u;
    if (!s->bytes) return (p[i >> 3] >> (i & 7)) & 1u;
    if (s->bytes == 1)
        u = p[i];
    else if (s->big_endian)
        u = (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
    else
        u = (uint32_t)p[2 * i + 1] << 8 | p[2 * i];
    return (u >> s->shift) & ((1u << s->bits_stored) - 1);
}

/* The stored value a BitsStored pattern stands for (sign-extended when
 * PixelRepresentation is 1). */
double dicom_pattern_value(const dicom_samples *s, uint64_t pattern);

/* Index of channel c of pixel i in storage order: interleaved, planar or
 * 4:2:2 subsampled (Y1 Y2 Cb Cr for each horizontal pair). */
size_t dicom_sample_index(const dicom_raw *r, size_t pixel, int channel);

/* Lowest and highest value BitsStored can hold (signed or not). */
void dicom_stored_range(const dicom_raw *r, double *lo, double *hi);

/* ---- lookup tables ------------------------------------------------------ */

/* Checks a table and expands a segmented one into plain entries.  Fails
 * with a reason for tables that are inconsistent or use indirect
 * segments (not supported). */
int dicom_lut_prepare(dicom_lut *lut, const char *what, const char *label,
                      char *err);

/* Entry for input x: inputs below `first` map to the first entry, above
 * the table to the last (PS3.3 C.11.1.1.1). */
unsigned dicom_lut_lookup(const dicom_lut *lut, double x);

/* Largest value an entry can hold: 2^bits − 1. */
double dicom_lut_max(const dicom_lut *lut);

/* An entry scaled to 0..255. */
uint8_t dicom_lut_to_u8(const dicom_lut *lut, unsigned entry);

/* ---- the two halves of the pipeline ------------------------------------- */

/* Greyscale (MONOCHROME1/2, with or without supplemental palette): resolve
 * `req` against the file (defaults as dicom_window_resolve), write RGB and
 * the window used. */
int dicom_grey_render(const dicom_raw *r, const dicom_window *req, uint8_t *rgb,
                      dicom_window *used, const char *label, char *err);

/* RGB, YBR_FULL, YBR_FULL_422, YBR_PARTIAL_422/420, YBR_ICT/RCT (already
 * RGB out of the JPEG 2000 decoder) and PALETTE COLOR. */
int dicom_colour_render(const dicom_raw *r, uint8_t *rgb, const char *label,
                        char *err);

#endif
