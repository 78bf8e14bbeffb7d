/*
 * image_resize.c — Pillow's ImagingResample for 8-bit images, reproduced
 * operation for operation so results match Pillow exactly:
 *   - BICUBIC: a = -0.5 cubic whose support grows with the downscale factor
 *     (antialiasing); per output pixel the double weights are normalised,
 *     then rounded to fixed point with PRECISION_BITS = 22; a horizontal
 *     pass into an 8-bit clipped intermediate, then a vertical pass.
 *   - NEAREST (Pillow forces it for "P" and "1"): ImagingScaleAffine's
 *     accumulated source coordinates.
 * Only a window of the conceptual output is computed (the center crop), and
 * only the source rows that window needs go through the horizontal pass;
 * every computed pixel is identical to the full-size result.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

#define PRECISION_BITS (32 - 8 - 2)

/* Coefficients for output positions [first, first + count) only: a thin
 * image's long side can be huge after resizing, the window never is. */
typedef struct axis_coeffs {
    int ksize, first;
    int *bounds; /* per window position: first source index, tap count */
    int *kk;     /* count * ksize fixed-point weights */
} axis_coeffs;

static double bicubic(double x)
{
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static void axis_free(axis_coeffs *c)
{
    free(c->bounds);
    free(c->kk);
    c->bounds = NULL;
    c->kk = NULL;
}

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc for box [0, in_size). */
static int axis_init(axis_coeffs *c, int in_size, int out_size, int first,
                     int count)
{
    double scale = (double)in_size / out_size,
           filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 2.0 * filterscale, ss = 1.0 / filterscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->first = first;
    c->bounds = malloc(sizeof(int) * 2 * count);
    c->kk = malloc(sizeof(int) * (size_t)count * c->ksize);
    double *w = malloc(sizeof(double) * c->ksize);
    if (!c->bounds || !c->kk || !w) {
        free(w);
        axis_free(c);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < count; i++) {
        int xx = first + i;
        double center = (xx + 0.5) * scale, ww = 0.0;
        int xmin = (int)(center - support + 0.5),
            xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            w[x] = bicubic((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int *k = c->kk + (size_t)i * c->ksize;
        for (int x = 0; x < c->ksize; x++) {
            double v = x < xmax ? (ww != 0.0 ? w[x] / ww : w[x]) : 0.0;
            k[x] = v < 0 ? (int)(-0.5 + v * (1 << PRECISION_BITS))
                         : (int)(0.5 + v * (1 << PRECISION_BITS));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
    free(w);
    return VLM_OK;
}

static inline uint8_t clip8(int32_t v)
{
    if (v >= (1 << (PRECISION_BITS + 8))) return 255;
    if (v <= 0) return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

/* Sums fit in int32 as in Pillow: |weights| sum to < 1.3 * 2^22, times 255. */
#define MAX_CH 4

/* One output row of the horizontal pass; `ch` is a literal at each call
 * site so the band loops unroll. */
static inline void horizontal_row(const uint8_t *src, uint8_t *dst, int ch,
                                  const img_resize_job *j, const axis_coeffs *c)
{
    for (int xx = 0; xx < j->win_w; xx++) {
        int n = c->bounds[2 * xx + 1];
        const uint8_t *p = src + (size_t)c->bounds[2 * xx] * ch;
        const int *k = c->kk + (size_t)xx * c->ksize;
        int32_t ss[MAX_CH];
        for (int b = 0; b < ch; b++) ss[b] = 1 << (PRECISION_BITS - 1);
        for (int x = 0; x < n; x++, p += ch)
            for (int b = 0; b < ch; b++) ss[b] += p[b] * k[x];
        for (int b = 0; b < ch; b++) dst[xx * ch + b] = clip8(ss[b]);
    }
}

/* Horizontal pass over source rows [y0, y0+rows) for the window columns. */
static void pass_horizontal(const img_resize_job *j, const axis_coeffs *c,
                            int y0, int rows, uint8_t *tmp)
{
    int ch = j->channels;
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = j->in + (size_t)(y0 + y) * j->in_w * ch;
        uint8_t *dst = tmp + (size_t)y * j->win_w * ch;
        if (ch == 3)
            horizontal_row(src, dst, 3, j, c);
        else if (ch == 4)
            horizontal_row(src, dst, 4, j, c);
        else
            horizontal_row(src, dst, ch, j, c);
    }
}

/* Vertical pass: tmp holds rows starting at source row y0, win_w wide.
 * Accumulates a whole output row at a time so the inner loop is contiguous. */
static int pass_vertical(const img_resize_job *j, const axis_coeffs *c,
                         const uint8_t *tmp, int y0, uint8_t *out)
{
    size_t row = (size_t)j->win_w * j->channels;
    int32_t *acc = malloc(sizeof(int32_t) * row);
    if (!acc) return VLM_ENOMEM;
    for (int yy = 0; yy < j->win_h; yy++) {
        int ymin = c->bounds[2 * yy] - y0, n = c->bounds[2 * yy + 1];
        const int *k = c->kk + (size_t)yy * c->ksize;
        for (size_t i = 0; i < row; i++) acc[i] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < n; y++) {
            const uint8_t *src = tmp + (size_t)(y + ymin) * row;
            for (size_t i = 0; i < row; i++) acc[i] += src[i] * k[y];
        }
        for (size_t i = 0; i < row; i++)
            out[(size_t)yy * row + i] = clip8(acc[i]);
    }
    free(acc);
    return VLM_OK;
}

/* Without a horizontal resize Pillow reads the source directly. */
static void copy_columns(const img_resize_job *j, int y0, int rows,
                         uint8_t *tmp)
{
    size_t row = (size_t)j->win_w * j->channels;
    for (int y = 0; y < rows; y++)
        memcpy(tmp + y * row,
               j->in + ((size_t)(y0 + y) * j->in_w + j->win_x) * j->channels,
               row);
}

static int resample_bicubic(const img_resize_job *j, uint8_t *out)
{
    axis_coeffs h = {0}, v = {0};
    if (axis_init(&h, j->in_w, j->out_w, j->win_x, j->win_w) ||
        axis_init(&v, j->in_h, j->out_h, j->win_y, j->win_h)) {
        axis_free(&h);
        return VLM_ENOMEM;
    }
    int last = j->win_h - 1;
    int y0 = v.bounds[0], y1 = v.bounds[2 * last] + v.bounds[2 * last + 1];
    int need_v = j->out_h != j->in_h;
    if (!need_v) { /* rows map 1:1; the window rows are the source rows */
        y0 = j->win_y;
        y1 = j->win_y + j->win_h;
    }
    uint8_t *tmp = malloc((size_t)(y1 - y0) * j->win_w * j->channels);
    int rc = tmp ? VLM_OK : VLM_ENOMEM;
    if (tmp) {
        if (j->out_w != j->in_w)
            pass_horizontal(j, &h, y0, y1 - y0, tmp);
        else
            copy_columns(j, y0, y1 - y0, tmp);
        if (need_v)
            rc = pass_vertical(j, &v, tmp, y0, out);
        else
            memcpy(out, tmp, (size_t)j->win_h * j->win_w * j->channels);
    }
    free(tmp);
    axis_free(&h);
    axis_free(&v);
    return rc;
}

/* Pillow's COORD(): truncation, with everything below zero mapped to -1. */
static int coord(double v) { return v < 0.0 ? -1 : (int)v; }

static int resample_nearest(const img_resize_job *j, uint8_t *out)
{
    int ch = j->channels;
    double ax = (double)j->in_w / j->out_w, ay = (double)j->in_h / j->out_h;
    int *xin = malloc(sizeof(int) * j->win_w);
    if (!xin) return VLM_ENOMEM;
    double xo = ax * 0.5,
           yo = ay * 0.5; /* accumulated exactly as Pillow does */
    for (int x = 0; x < j->win_x + j->win_w; x++, xo += ax)
        if (x >= j->win_x) xin[x - j->win_x] = coord(xo);
    for (int y = 0; y < j->win_y + j->win_h; y++, yo += ay) {
        if (y < j->win_y) continue;
        int yi = coord(yo);
        uint8_t *dst = out + (size_t)(y - j->win_y) * j->win_w * ch;
        for (int xx = 0; xx < j->win_w; xx++) {
            int xi = xin[xx];
            if (yi < 0 || yi >= j->in_h || xi < 0 || xi >= j->in_w)
                memset(dst + xx * ch, 0, ch);
            else
                memcpy(dst + xx * ch, j->in + ((size_t)yi * j->in_w + xi) * ch,
                       ch);
        }
    }
    free(xin);
    return VLM_OK;
}

int img_resample(const img_resize_job *j, uint8_t *out, char *err)
{
    if (!j->in || j->in_w <= 0 || j->channels > MAX_CH || j->in_h <= 0 ||
        j->out_w <= 0 || j->out_h <= 0 || j->channels <= 0 || j->win_x < 0 ||
        j->win_y < 0 || j->win_w <= 0 || j->win_h <= 0 ||
        j->win_x + j->win_w > j->out_w || j->win_y + j->win_h > j->out_h) {
        vlm_set_err(err, "resize: invalid sizes or window");
        return VLM_EINVAL;
    }
    int rc = j->nearest ? resample_nearest(j, out) : resample_bicubic(j, out);
    if (rc) vlm_set_err(err, "resize: out of memory");
    return rc;
}
