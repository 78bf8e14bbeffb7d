/*
 * image_internal.h — what the per-format decoders, the orientation code and
 * the resizer share inside the image room.  Not part of the public API.
 *
 * Every decoder has the same shape: it gets the whole file in memory plus the
 * options, checks the declared size against the pixel limit before it
 * allocates any pixel buffer, fills `out` (RGB, optional alpha, nearest flag)
 * and the stored size in `info`, and may point `exif` at a raw EXIF blob
 * inside the input so the dispatcher can read the orientation.
 */
#ifndef VLM_IMAGE_INTERNAL_H
#define VLM_IMAGE_INTERNAL_H

#include "model/image/image.h"

typedef struct img_src {
    const uint8_t *bytes;
    size_t len;
    const char *label;   /* for messages */
    uint64_t max_pixels; /* already defaulted */
    int min_short_side;  /* JPEG DCT-scaling fast path, 0 = exact */
} img_src;

/* What a decoder reports besides the pixels. */
typedef struct img_meta {
    int width, height; /* as stored */
    int scale_denom;   /* JPEG DCT scale used, else 1 */
    int orientation;   /* already known (TIFF tag, PNG eXIf), 0 = use EXIF */
    char exif_datetime[20]; /* already known, "" = use EXIF */
    char camera_make[64], camera_model[64]; /* already known, or "" */
    const uint8_t *exif;    /* raw EXIF blob inside the input, or NULL */
    size_t exif_len;
} img_meta;

typedef int (*img_decoder_fn)(const img_src *src, img_rgb *out, img_meta *meta,
                              char *err);

int img_decode_jpeg(const img_src *src, img_rgb *out, img_meta *meta,
                    char *err);
int img_decode_png(const img_src *src, img_rgb *out, img_meta *meta, char *err);
int img_decode_webp(const img_src *src, img_rgb *out, img_meta *meta,
                    char *err);
int img_decode_gif(const img_src *src, img_rgb *out, img_meta *meta, char *err);
int img_decode_tiff(const img_src *src, img_rgb *out, img_meta *meta,
                    char *err);
int img_decode_bmp(const img_src *src, img_rgb *out, img_meta *meta, char *err);
int img_decode_pnm(const img_src *src, img_rgb *out, img_meta *meta, char *err);

/* ---- image_buffer.c ---------------------------------------------------- */
/* Refuses non-positive sizes (VLM_EFORMAT) and width*height above the limit
 * (VLM_ETOOBIG) with a message naming src->label.  Call before allocating. */
int img_check_size(const img_src *src, long long width, long long height,
                   char *err);
/* Checks the size, then allocates pixels (and alpha when with_alpha). */
int img_rgb_alloc(const img_src *src, img_rgb *im, int width, int height,
                  int with_alpha, char *err);

/* Palette lookup the way Pillow's "P" -> "RGB" does: entries past the
 * palette's end read as gray (i, i, i). */
typedef struct img_palette {
    uint8_t rgb[256][3];
} img_palette;
void img_palette_init(img_palette *p, const uint8_t *entries, int count,
                      int entry_size);
/* Pillow opens a palette that is exactly i -> (i,i,i) as "L", not "P". */
int img_palette_is_identity_gray(const uint8_t *entries, int count,
                                 int entry_size);

/* ---- exif_orientation.c ------------------------------------------------ */
/* Reads Orientation (1..8, 1 when absent/invalid), DateTimeOriginal and the
 * camera's Make and Model (trailing spaces dropped; "" when absent) from a
 * JPEG stream or a raw EXIF blob (with or without the "Exif\0\0" prefix). */
void img_exif_read(const uint8_t *blob, size_t len, int *orientation,
                   char datetime[20], char make[64], char model[64]);

/* ---- image_transpose.c ------------------------------------------------- */
/* Applies an EXIF orientation (2..8) like PIL.ImageOps.exif_transpose, to
 * the pixels and the alpha plane.  1 or out-of-range values do nothing. */
int img_apply_orientation(img_rgb *im, int orientation, char *err);

/* ---- image_resize.c ---------------------------------------------------- */
/* Pillow's ImagingResample for 8-bit data with `channels` interleaved bands:
 * conceptually resizes in (w,h) to (out_w,out_h) and writes only the window
 * [win_x, win_x+win_w) x [win_y, win_y+win_h) of that result into out
 * (stride win_w*channels).  nearest selects Pillow's NEAREST, else antialiased
 * bicubic (a = -0.5) in fixed point. */
typedef struct img_resize_job {
    const uint8_t *in;
    int in_w, in_h, channels;
    int out_w, out_h;
    int win_x, win_y, win_w, win_h;
    int nearest;
} img_resize_job;
int img_resample(const img_resize_job *job, uint8_t *out, char *err);

#endif
