/*
 * dicom_lut.c — lookup tables: Modality LUT, VOI LUT and palette colour
 * tables (PS3.3 C.11.1.1.1, C.7.6.3.1.5), and the expansion of segmented
 * palette tables (C.7.9.2: discrete and linear segments).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_pipeline.h"

/* Appends one segment; returns the words it used, 0 on a bad segment. */
static size_t expand_segment(const uint16_t *s, size_t left, uint16_t *out,
                             size_t *n, size_t cap, const char **why)
{
    if (left < 2) return 0;
    size_t len = s[1];
    if (s[0] == 0) { /* discrete: len entries follow */
        if (left < 2 + len || *n + len > cap) return 0;
        memcpy(out + *n, s + 2, len * sizeof *out);
        *n += len;
        return 2 + len;
    }
    if (s[0] == 1) { /* linear: from the previous entry to s[2] */
        if (left < 3 || *n == 0 || *n + len > cap) return 0;
        double y0 = out[*n - 1], y1 = s[2];
        for (size_t k = 1; k <= len; k++)
            out[(*n)++] = (uint16_t)lround(y0 + (y1 - y0) * k / len);
        return 3;
    }
    *why = s[0] == 2 ? "indirect segments are not supported"
                     : "unknown segment type";
    return 0;
}

static int expand_segmented(dicom_lut *lut, const char **why)
{
    uint16_t *out = malloc(lut->entries * sizeof *out);
    if (!out) {
        *why = "out of memory";
        return -1;
    }
    size_t n = 0, pos = 0;
    while (pos + 1 < lut->count && n < lut->entries) {
        size_t used = expand_segment(lut->data + pos, lut->count - pos, out, &n,
                                     lut->entries, why);
        if (!used) break;
        pos += used;
    }
    if (n < lut->entries) {
        free(out);
        if (!*why) *why = "segments do not fill the table";
        return -1;
    }
    free(lut->data);
    lut->data = out;
    lut->count = n;
    lut->segmented = 0;
    return 0;
}

int dicom_lut_prepare(dicom_lut *lut, const char *what, const char *label,
                      char *err)
{
    const char *why = NULL;
    if (lut->bits < 1 || lut->bits > 16)
        why = "bits per entry must be 1..16";
    else if (lut->segmented)
        expand_segmented(lut, &why); /* sets why when it fails */
    else if (lut->count < lut->entries)
        why = "fewer data values than the descriptor's entries";
    if (why) {
        vlm_set_err(err, "%s: %s: %s", label, what, why);
        return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

unsigned dicom_lut_lookup(const dicom_lut *lut, double x)
{
    double i = floor(x) - lut->first;
    if (i <= 0) return lut->data[0];
    if (i >= (double)(lut->entries - 1)) return lut->data[lut->entries - 1];
    return lut->data[(size_t)i];
}

double dicom_lut_max(const dicom_lut *lut) { return ldexp(1.0, lut->bits) - 1; }

uint8_t dicom_lut_to_u8(const dicom_lut *lut, unsigned entry)
{
    double v = entry * 255.0 / dicom_lut_max(lut);
    return (uint8_t)(v >= 255 ? 255 : lround(v));
}
