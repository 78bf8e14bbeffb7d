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
    data_range(r, s, &ctx.data_lo, &ctx.data_hi);
    dicom_window_resolve(req, &ctx, used);
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
    for (size_t i = 0; i < n; i++) {
        uint8_t *px = rgb + 3 * i;
        double v = dicom_sample(&s, i);
        if (r->supplemental && palette_colour(r, v, px)) continue;
        px[0] = px[1] = px[2] = (uint8_t)grey_level(r, used, v);
    }
    return VLM_OK;
}
