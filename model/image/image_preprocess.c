/*
 * image_preprocess.c — CLIPImageProcessor semantics on a decoded image:
 * shorter side to shortest_edge (longer side int(S * long / short)), center
 * crop with Python round-half-even offsets, then (u8 * rescale - mean) / std
 * into planar CHW floats.  Sources with alpha are resized premultiplied and
 * un-premultiplied afterwards (Pillow's RGBA -> RGBa -> resize -> RGBA), then
 * the alpha is dropped, as the reference does; with convert_rgb_first the
 * RGB pixels are resized as they are (alpha already dropped).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

/* Python's round(d / 2) for an integer d: halves go to the even neighbour. */
static int half_round_even(int d)
{
    int q = (int)floor(d / 2.0);
    if (d % 2 == 0) return d / 2;
    return q % 2 == 0 ? q : q + 1;
}

/* Only the crop window is ever computed, but a sliver-shaped image still
 * costs O(long side) in coordinate bookkeeping: cap it. */
#define MAX_RESIZED_SIDE (1 << 26)

/* 0 when the resized long side would be absurd (extreme aspect ratio). */
static int resized_size(const img_rgb *in, const img_prep_params *p, int *w,
                        int *h)
{
    if (!p->do_center_crop) {
        *w = p->crop_w;
        *h = p->crop_h;
        return 1;
    }
    double s = p->shortest_edge;
    int portrait = in->width <= in->height;
    double lng =
        portrait ? s * in->height / in->width : s * in->width / in->height;
    if (lng >= MAX_RESIZED_SIDE) return 0;
    *w = portrait ? p->shortest_edge : (int)lng;
    *h = portrait ? (int)lng : p->shortest_edge;
    return 1;
}

/* Pillow's rgbA2rgba: channel * alpha / 255, rounded. */
static uint8_t *premultiplied_rgba(const img_rgb *in)
{
    size_t n = (size_t)in->width * in->height;
    uint8_t *q = malloc(n * 4);
    if (!q) return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned a = in->alpha[i];
        for (int c = 0; c < 3; c++) {
            unsigned t = in->pixels[3 * i + c] * a + 128;
            q[4 * i + c] = (uint8_t)(((t >> 8) + t) >> 8);
        }
        q[4 * i + 3] = (uint8_t)a;
    }
    return q;
}

/* Pillow's rgba2rgbA then convert("RGB"): un-premultiply, drop alpha. */
static void unpremultiply_to_rgb(const uint8_t *rgba, size_t n, uint8_t *rgb)
{
    for (size_t i = 0; i < n; i++) {
        unsigned a = rgba[4 * i + 3];
        for (int c = 0; c < 3; c++) {
            unsigned v = rgba[4 * i + c];
            if (a != 0 && a != 255) v = 255 * v / a;
            rgb[3 * i + c] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

/* Resizes the window into `dst` (win_w*win_h*3). */
static int resize_window(const img_rgb *in, img_resize_job *job, int rgb_first,
                         uint8_t *dst, char *err)
{
    int premul = in->alpha && !in->nearest && !rgb_first;
    uint8_t *rgba = premul ? premultiplied_rgba(in) : NULL;
    uint8_t *tmp = premul ? malloc((size_t)job->win_w * job->win_h * 4) : NULL;
    if (premul && (!rgba || !tmp)) {
        free(rgba);
        free(tmp);
        vlm_set_err(err, "resize: out of memory");
        return VLM_ENOMEM;
    }
    job->in = premul ? rgba : in->pixels;
    job->channels = premul ? 4 : 3;
    int rc = img_resample(job, premul ? tmp : dst, err);
    if (!rc && premul)
        unpremultiply_to_rgb(tmp, (size_t)job->win_w * job->win_h, dst);
    free(rgba);
    free(tmp);
    return rc;
}

int img_resize_crop_u8(const img_rgb *in, const img_prep_params *p,
                       uint8_t *out, char *err)
{
    if (!in || !in->pixels || in->width <= 0 || in->height <= 0 || !p || !out ||
        p->crop_w <= 0 || p->crop_h <= 0 ||
        (p->do_center_crop && p->shortest_edge <= 0)) {
        vlm_set_err(err, "preprocess: invalid image or parameters");
        return VLM_EINVAL;
    }
    int rw = 0, rh = 0;
    if (!resized_size(in, p, &rw, &rh) || rw <= 0 || rh <= 0) {
        vlm_set_err(err,
                    "preprocess: image %dx%d has too extreme an aspect "
                    "ratio to resize",
                    in->width, in->height);
        return VLM_ETOOBIG;
    }
    int top = half_round_even(rh - p->crop_h),
        left = half_round_even(rw - p->crop_w);
    img_resize_job job = {0};
    job.in_w = in->width;
    job.in_h = in->height;
    job.out_w = rw;
    job.out_h = rh;
    job.nearest = in->nearest && !p->convert_rgb_first;
    job.win_x = left > 0 ? left : 0;
    job.win_y = top > 0 ? top : 0;
    job.win_w = (left + p->crop_w < rw ? left + p->crop_w : rw) - job.win_x;
    job.win_h = (top + p->crop_h < rh ? top + p->crop_h : rh) - job.win_y;
    uint8_t *win = malloc((size_t)job.win_w * job.win_h * 3);
    if (!win) {
        vlm_set_err(err, "preprocess: out of memory");
        return VLM_ENOMEM;
    }
    int rc = resize_window(in, &job, p->convert_rgb_first, win, err);
    if (!rc) { /* place the window in the crop; zero padding around it */
        memset(out, 0, (size_t)p->crop_w * p->crop_h * 3);
        for (int y = 0; y < job.win_h; y++)
            memcpy(out + ((size_t)(job.win_y - top + y) * p->crop_w +
                          (job.win_x - left)) *
                             3,
                   win + (size_t)y * job.win_w * 3, (size_t)job.win_w * 3);
    }
    free(win);
    return rc;
}

int img_preprocess(const img_rgb *in, const img_prep_params *p, float *out,
                   char *err)
{
    if (!p || !out || p->crop_w <= 0 || p->crop_h <= 0) {
        vlm_set_err(err, "preprocess: missing parameters or output");
        return VLM_EINVAL;
    }
    size_t plane = (size_t)p->crop_w * p->crop_h;
    uint8_t *u8 = malloc(plane * 3);
    if (!u8) {
        vlm_set_err(err, "preprocess: out of memory");
        return VLM_ENOMEM;
    }
    int rc = img_resize_crop_u8(in, p, u8, err);
    for (int c = 0; !rc && c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            out[c * plane + i] =
                ((float)u8[3 * i + c] * p->rescale - p->mean[c]) / p->std[c];
    free(u8);
    return rc;
}
