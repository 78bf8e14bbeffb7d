/*
 * dicom_colour.c — colour photometric interpretations to 8-bit RGB
 * (PS3.3 C.7.6.3.1.2): RGB as stored, YBR_FULL / YBR_FULL_422 with the
 * full-range equations, YBR_PARTIAL_422 / YBR_PARTIAL_420 with the
 * partial-range ones (both as the inverse of the standard's RGB → YBR
 * equations), and PALETTE COLOR through its three tables.  Samples wider
 * than 8 bits are scaled to 0..255 by 255 / (2^BitsStored − 1).  YBR_ICT
 * and YBR_RCT come out of the JPEG 2000 decoder as RGB already.
 */
#include <math.h>
#include <string.h>

#include "model/dicom/dicom_pipeline.h"

typedef enum colour_kind {
    COLOUR_RGB,
    COLOUR_YBR_FULL,
    COLOUR_YBR_PARTIAL,
    COLOUR_PALETTE,
    COLOUR_UNSUPPORTED,
} colour_kind;

static colour_kind kind_of(const char *pi, int samples)
{
    if (samples == 1)
        return strcmp(pi, "PALETTE COLOR") ? COLOUR_UNSUPPORTED
                                           : COLOUR_PALETTE;
    if (!strcmp(pi, "RGB") || !strcmp(pi, "YBR_ICT") || !strcmp(pi, "YBR_RCT"))
        return COLOUR_RGB;
    if (!strncmp(pi, "YBR_FULL", 8)) return COLOUR_YBR_FULL;
    if (!strncmp(pi, "YBR_PARTIAL", 11)) return COLOUR_YBR_PARTIAL;
    return COLOUR_UNSUPPORTED;
}

static uint8_t clamp_u8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
}

static void ybr_full(const double *ybr, double half, uint8_t *px)
{
    double y = ybr[0], cb = ybr[1] - half, cr = ybr[2] - half;
    px[0] = clamp_u8(y + 1.402 * cr);
    px[1] = clamp_u8(y - (0.114 * 1.772 / 0.587) * cb -
                     (0.299 * 1.402 / 0.587) * cr);
    px[2] = clamp_u8(y + 1.772 * cb);
}

/* Inverse of Y = .2568R + .5041G + .0979B + 16, Cb = −.1482R − .2910G +
 * .4392B + 128, Cr = .4392R − .3678G − .0714B + 128 (8-bit units). */
static void ybr_partial(const double *ybr, double half, uint8_t *px)
{
    double y = ybr[0] - 16, cb = ybr[1] - half, cr = ybr[2] - half;
    px[0] = clamp_u8(1.1644 * y + 1.5960 * cr);
    px[1] = clamp_u8(1.1644 * y - 0.3918 * cb - 0.8130 * cr);
    px[2] = clamp_u8(1.1644 * y + 2.0172 * cb);
}

/* Three samples of pixel i scaled to 0..255 units. */
static void pixel_samples(const dicom_raw *r, const dicom_samples *s, size_t i,
                          double scale, double *out)
{
    for (int c = 0; c < 3; c++)
        out[c] = dicom_sample(s, dicom_sample_index(r, i, c)) * scale;
}

static void true_colour(const dicom_raw *r, const dicom_samples *s,
                        colour_kind k, uint8_t *rgb)
{
    size_t n = (size_t)r->width * r->height;
    double scale = 255.0 / (ldexp(1.0, r->bits_stored) - 1);
    double v[3];
    for (size_t i = 0; i < n; i++) {
        uint8_t *px = rgb + 3 * i;
        pixel_samples(r, s, i, scale, v);
        if (k == COLOUR_YBR_FULL)
            ybr_full(v, 128.0, px);
        else if (k == COLOUR_YBR_PARTIAL)
            ybr_partial(v, 128.0, px);
        else
            for (int c = 0; c < 3; c++) px[c] = clamp_u8(v[c]);
    }
}

static void palette_colour(const dicom_raw *r, const dicom_samples *s,
                           uint8_t *rgb)
{
    size_t n = (size_t)r->width * r->height;
    for (size_t i = 0; i < n; i++) {
        double v = dicom_sample(s, i);
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = dicom_lut_to_u8(
                &r->palette[c], dicom_lut_lookup(&r->palette[c], v));
    }
}

static size_t samples_needed(const dicom_raw *r, colour_kind k)
{
    size_t n = (size_t)r->width * r->height;
    if (k == COLOUR_PALETTE) return n;
    return r->subsampled ? (n + 1) / 2 * 4 : n * 3;
}

int dicom_colour_render(const dicom_raw *r, uint8_t *rgb, const char *label,
                        char *err)
{
    colour_kind k = kind_of(r->photometric, r->samples);
    if (k == COLOUR_UNSUPPORTED) {
        vlm_set_err(err,
                    "%s: photometric interpretation %s with %d samples "
                    "per pixel is not supported",
                    label, r->photometric, r->samples);
        return VLM_EUNSUPPORTED;
    }
    if (!strcmp(r->photometric, "YBR_PARTIAL_420") && r->subsampled) {
        vlm_set_err(err,
                    "%s: YBR_PARTIAL_420 is defined only for MPEG video, "
                    "not for native pixel data",
                    label);
        return VLM_EUNSUPPORTED;
    }
    dicom_samples s;
    dicom_samples_init(&s, r);
    if (s.count < samples_needed(r, k)) {
        vlm_set_err(err, "%s: decoded frame holds %zu samples, %dx%d needs %zu",
                    label, s.count, r->width, r->height, samples_needed(r, k));
        return VLM_EFORMAT;
    }
    if (k == COLOUR_PALETTE)
        palette_colour(r, &s, rgb);
    else
        true_colour(r, &s, k, rgb);
    return VLM_OK;
}
