/*
 * image.h — decode any supported image file into 8-bit RGB and turn it into
 * model input exactly like Pillow + CLIPImageProcessor.
 *
 * Decoding sniffs the format from the bytes (never the extension): JPEG
 * (libjpeg-turbo), PNG (libpng), WebP (libwebp), GIF first frame (giflib),
 * TIFF (libtiff), BMP and PNM.  EXIF orientation is applied; gray, palette,
 * CMYK, 16-bit and alpha become RGB the way Pillow's convert("RGB") does.
 * Declared dimensions are checked against a pixel limit before any pixel
 * buffer is allocated.
 */
#ifndef VLM_IMAGE_H
#define VLM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef enum img_format {
    IMG_UNKNOWN = 0,
    IMG_JPEG,
    IMG_PNG,
    IMG_WEBP,
    IMG_GIF,
    IMG_TIFF,
    IMG_BMP,
    IMG_PNM,
} img_format;

const char *img_format_name(img_format f); /* "jpeg", "png", ... */
img_format img_sniff(const void *bytes, size_t len);

/* An 8-bit RGB image, rows packed (stride = 3*width).
 *
 * The reference pipeline resizes in the source's Pillow mode and converts to
 * RGB afterwards, so two facts about the source travel with the pixels:
 * `alpha` (straight alpha, width*height bytes, NULL when opaque) makes the
 * resize premultiply like Pillow's RGBA resize, and `nearest` (palette "P" or
 * bilevel "1" sources) makes it use nearest-neighbour as Pillow forces for
 * those modes.  Callers that build an img_rgb themselves leave both zero. */
typedef struct img_rgb {
    int width, height;
    uint8_t *pixels;
    uint8_t *alpha;
    int nearest;
} img_rgb;

void img_rgb_free(img_rgb *im); /* frees pixels and alpha, zeroes the struct */

typedef struct img_info {
    img_format format;
    int width, height;       /* as stored, before orientation */
    int orientation;         /* EXIF 1..8, 1 when absent */
    char exif_datetime[20];  /* "YYYY:MM:DD HH:MM:SS" or "" */
    char camera_make[64];    /* EXIF Make, or "" */
    char camera_model[64];   /* EXIF Model, or "" */
    int decoded_scale_denom; /* 1, or the libjpeg-turbo DCT scale used (2,4,8) */
} img_info;

typedef struct img_decode_opts {
    uint64_t max_pixels; /* refuse width*height above this; 0 = default */
    /* JPEG fast path: if > 0, decode at the smallest DCT scale whose shorter
     * side is still >= min_short_side (pass 2x the model input).  0 = exact,
     * full-resolution decode. */
    int min_short_side;
} img_decode_opts;

#define IMG_DEFAULT_MAX_PIXELS (178956970ull) /* Pillow's MAX_IMAGE_PIXELS x2 */

/* Decode a whole file.  `label` names the input in error messages (usually
 * the path).  On failure out is zeroed and err says why, e.g.
 * "photos/x.jpg: truncated JPEG data". */
int img_decode_memory(const void *bytes, size_t len, const char *label,
                      const img_decode_opts *opts, img_rgb *out, img_info *info,
                      char *err);
int img_decode_file(const char *path, const img_decode_opts *opts, img_rgb *out,
                    img_info *info, char *err);

/* Writes `im` as an 8-bit RGB PNG at `path` (replacing the file). */
int img_write_png(const char *path, const img_rgb *im, char *err);

/* ---- preprocessing (CLIPImageProcessor semantics) ------------------------ */
typedef struct img_prep_params {
    int shortest_edge;  /* resize so the shorter side is this */
    int crop_w, crop_h; /* center crop */
    int do_center_crop;
    float mean[3], std[3];
    float rescale; /* normally 1/255 */
    /* 0: resize in the source's mode, then RGB (Pillow + OpenAI CLIP: alpha
     * premultiplied, palette/bilevel nearest).  1: RGB first, then resize
     * (transformers' load_image before SiglipImageProcessor): alpha is
     * dropped and every source is resized with the bicubic filter. */
    int convert_rgb_first;
} img_prep_params;

/* Resize shorter side with Pillow's antialiased bicubic (long side
 * int(S*long/short)), center-crop with round-half-even offsets: u8 result of
 * crop_h x crop_w x 3 into out (caller allocates crop_h*crop_w*3).  A crop
 * larger than the resized image is zero-padded.  With do_center_crop == 0 the
 * image is resized straight to crop_w x crop_h (aspect not kept). */
int img_resize_crop_u8(const img_rgb *in, const img_prep_params *p,
                       uint8_t *out, char *err);

/* Full model input: planar CHW floats (3*crop_h*crop_w) normalised with
 * (u8*rescale - mean)/std. */
int img_preprocess(const img_rgb *in, const img_prep_params *p, float *out,
                   char *err);

#endif
