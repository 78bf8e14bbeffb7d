/*
 * dicom_pixels.c — stored sample values of a decoded frame (PS3.5 8.1.1,
 * PS3.3 C.7.6.3.1): BitsStored bits at HighBit, sign-extended when
 * PixelRepresentation is 1; 1-bit data packed least significant bit first;
 * float and double samples as IEEE values.
 */
#include <math.h>
#include <string.h>

#include "model/dicom/dicom_pipeline.h"

void dicom_samples_init(dicom_samples *s, const dicom_raw *r)
{
    memset(s, 0, sizeof *s);
    s->p = r->frame;
    s->bytes = r->bits_allocated / 8;
    s->count = s->bytes ? r->frame_len / (size_t)s->bytes : r->frame_len * 8;
    s->bits_stored = r->bits_stored;
    s->shift = r->high_bit - r->bits_stored + 1;
    if (s->shift < 0) s->shift = 0;
    s->is_signed = r->is_signed;
    s->is_float = r->is_float;
    s->big_endian = r->big_endian;
}

static uint64_t raw_word(const dicom_samples *s, size_t i)
{
    const uint8_t *p = s->p + i * (size_t)s->bytes;
    uint64_t u = 0;
    for (int b = 0; b < s->bytes; b++)
        u = (u << 8) | p[s->big_endian ? b : s->bytes - 1 - b];
    return u;
}

static double float_value(const dicom_samples *s, size_t i)
{
    uint64_t u = raw_word(s, i);
    if (s->bytes == 8) {
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    uint32_t u32 = (uint32_t)u;
    float f;
    memcpy(&f, &u32, sizeof f);
    return f;
}

double dicom_pattern_value(const dicom_samples *s, uint64_t u)
{
    uint64_t mask =
        s->bits_stored >= 64 ? ~0ull : ((1ull << s->bits_stored) - 1);
    u &= mask;
    if (s->is_signed && s->bits_stored < 64 &&
        ((u >> (s->bits_stored - 1)) & 1))
        return (double)(int64_t)(u | ~mask);
    return (double)u;
}

double dicom_sample(const dicom_samples *s, size_t i)
{
    if (!s->bytes) return (s->p[i >> 3] >> (i & 7)) & 1;
    if (s->is_float) {
        double v = float_value(s, i);
        return isfinite(v) ? v : 0;
    }
    return dicom_pattern_value(s, raw_word(s, i) >> s->shift);
}

size_t dicom_sample_index(const dicom_raw *r, size_t pixel, int channel)
{
    if (r->samples == 1) return pixel;
    if (r->subsampled) {
        size_t base = (pixel / 2) * 4;
        return channel == 0 ? base + (pixel & 1) : base + 1 + (size_t)channel;
    }
    if (r->planar) return (size_t)channel * r->width * r->height + pixel;
    return pixel * 3 + (size_t)channel;
}

void dicom_stored_range(const dicom_raw *r, double *lo, double *hi)
{
    int b = r->bits_stored;
    *lo = r->is_signed ? -ldexp(1.0, b - 1) : 0.0;
    *hi = r->is_signed ? ldexp(1.0, b - 1) - 1 : ldexp(1.0, b) - 1;
}
