/*
 * dicom_grey.c — the greyscale pipeline of PS3.4 N.2: stored value →
 * Modality LUT (Modality LUT Sequence, else RescaleSlope/Intercept) → VOI
 * (window with its VOI LUT Function, or a VOI LUT Sequence) → MONOCHROME1
 * inversion → grey level, replicated to R, G and B.
 *
 * Supplemental palette (PS3.3 C.7.6.3.1.5 and C.8.16.2.1.4.1.1): stored
 * values inside the palette's range (first value mapped .. + entries − 1)
 * are shown in the palette's colour, the others go through the grey
 * pipeline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_pipeline.h"

static double modality(const dicom_raw *r, double v)
{
    if (r->modality_lut.data) return dicom_lut_lookup(&r->modality_lut, v);
    return v * r->slope + r->intercept;
}

/* Modality-unit range of every value BitsStored can hold. */
static void modality_range(const dicom_raw *r, double *lo, double *hi)
{
    if (r->modality_lut.data) {
        *lo = 0;
        *hi = dicom_lut_max(&r->modality_lut);
        return;
    }
    double a, b;
    dicom_stored_range(r, &a, &b);
    a = modality(r, a);
    b = modality(r, b);
    *lo = fmin(a, b);
    *hi = fmax(a, b);
}

static void data_range(const dicom_raw *r, const dicom_samples *s, double *lo,
                       double *hi)
{
    size_t n = (size_t)r->width * r->height;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double m = modality(r, dicom_sample(s, i));
        if (m < *lo) *lo = m;
        if (m > *hi) *hi = m;
    }
}

static void resolve(const dicom_raw *r, const dicom_samples *s,
                    const dicom_window *req, dicom_window *used)
{
    dicom_window_context ctx = {
        .has_stored = r->has_window,
        .stored_center = r->window_center,
        .stored_width = r->window_width,
        .stored_function = r->voi_function,
        .has_voi_lut = r->voi_lut.data != NULL,
        .minmax_fallback = r->is_float || r->bits_stored > 16,
    };
    snprintf(ctx.modality, sizeof ctx.modality, "%s", r->hdr.modality);
    snprintf(ctx.body_part, sizeof ctx.body_part, "%s", r->hdr.body_part);
    modality_range(r, &ctx.range_lo, &ctx.range_hi);
    dicom_window_resolve(req, &ctx, used);
    if (used->kind == DICOM_WINDOW_MINMAX) { /* only then is a pass needed */
        data_range(r, s, &ctx.data_lo, &ctx.data_hi);
        dicom_window_resolve(req, &ctx, used);
    }
}

static int grey_level(const dicom_raw *r, const dicom_window *w, double v)
{
    double m = modality(r, v);
    int g = w->kind == DICOM_WINDOW_STORED_LUT
                ? dicom_lut_to_u8(&r->voi_lut, dicom_lut_lookup(&r->voi_lut, m))
                : dicom_window_apply(m, w);
    return strcmp(r->photometric, "MONOCHROME1") ? g : 255 - g;
}

/* Supplemental palette colour of stored value v; 0 if v is outside it. */
static int palette_colour(const dicom_raw *r, double v, uint8_t *px)
{
    const dicom_lut *red = &r->palette[0];
    if (v < red->first || v > red->first + (double)red->entries - 1) return 0;
    for (int c = 0; c < 3; c++)
        px[c] = dicom_lut_to_u8(&r->palette[c],
                                dicom_lut_lookup(&r->palette[c], v));
    return 1;
}

/* The colour of stored value v: supplemental palette or grey level. */
static void pixel_of(const dicom_raw *r, const dicom_window *w, double v,
                     uint8_t *px)
{
    if (r->supplemental && palette_colour(r, v, px)) return;
    px[0] = px[1] = px[2] = (uint8_t)grey_level(r, w, v);
}

/* Integer samples of at most 16 bits in at most 2 bytes: the colour of
 * every stored bit pattern once, into a table; each pixel then costs one
 * lookup instead of the Modality LUT, VOI and inversion arithmetic. */
static int render_by_table(const dicom_raw *r, const dicom_samples *s,
                           const dicom_window *w, uint8_t *rgb)
{
    size_t count = (size_t)1 << r->bits_stored,
           n = (size_t)r->width * r->height;
    uint8_t *table = malloc(count * 3);
    if (!table) return -1;
    for (size_t p = 0; p < count; p++)
        pixel_of(r, w, dicom_pattern_value(s, p), table + 3 * p);
    for (size_t i = 0; i < n; i++)
        memcpy(rgb + 3 * i, table + 3 * (size_t)dicom_sample_pattern(s, i), 3);
    free(table);
    return 0;
}

int dicom_grey_render(const dicom_raw *r, const dicom_window *req, uint8_t *rgb,
                      dicom_window *used, const char *label, char *err)
{
    dicom_samples s;
    dicom_samples_init(&s, r);
    size_t n = (size_t)r->width * r->height;
    if (s.count < n) {
        vlm_set_err(err, "%s: decoded frame holds %zu samples, %dx%d needs %zu",
                    label, s.count, r->width, r->height, n);
        return VLM_EFORMAT;
    }
    resolve(r, &s, req, used);
    if (!r->is_float && r->bits_allocated <= 16 && r->bits_stored <= 16 &&
        render_by_table(r, &s, used, rgb) == 0)
        return VLM_OK;
    for (size_t i = 0; i < n; i++)
        pixel_of(r, used, dicom_sample(&s, i), rgb + 3 * i);
    return VLM_OK;
}
