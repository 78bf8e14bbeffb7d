/*
 * decode_png.c — PNG through libpng, converted to what Pillow's
 * open(...).convert("RGB") gives:
 *   palette -> "P" (colours via the palette, tRNS ignored, nearest resize);
 *   1-bit gray -> "1" (nearest resize); 2/4-bit gray scaled to 8 bits;
 *   16-bit RGB(A)/GA -> high byte; 16-bit gray -> Pillow "I", whose
 *   conversion to RGB clips at 255;  RGBA/GA keep their alpha for the
 *   premultiplied resize.
 * The size in IHDR is checked before libpng sees the file, so a bomb is
 * refused without libpng allocating anything for it.  libpng reports errors
 * by longjmp; messages go into the caller's err buffer, warnings are dropped.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

typedef struct png_ctx {
    const img_src *src;
    size_t pos;
    char *err;
    png_bytep *rows; /* freed on every path */
    uint8_t *raw;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    vlm_set_err(c->err, "%s: corrupt or truncated PNG: %s", c->src->label, msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep dst, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->src->len - c->pos) png_error(png, "unexpected end of file");
    memcpy(dst, c->src->bytes + c->pos, n);
    c->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int check_ihdr(const img_src *src, char *err)
{
    if (src->len < 33 || memcmp(src->bytes + 12, "IHDR", 4) != 0) {
        vlm_set_err(err, "%s: truncated PNG (no IHDR chunk)", src->label);
        return VLM_EFORMAT;
    }
    return img_check_size(src, be32(src->bytes + 16), be32(src->bytes + 20),
                          err);
}

/* One decoded row (after libpng's transforms) into RGB + alpha. */
static void convert_row(const uint8_t *in, int channels, int gray16, int w,
                        uint8_t *rgb, uint8_t *alpha)
{
    for (int x = 0; x < w; x++, rgb += 3) {
        if (gray16) {
            unsigned v = (unsigned)in[2 * x] << 8 | in[2 * x + 1];
            rgb[0] = rgb[1] = rgb[2] = (uint8_t)(v > 255 ? 255 : v);
            continue;
        }
        const uint8_t *p = in + (size_t)x * channels;
        if (channels <= 2)
            rgb[0] = rgb[1] = rgb[2] = p[0];
        else
            memcpy(rgb, p, 3);
        if (alpha) alpha[x] = p[channels - 1];
    }
}

static void setup_transforms(png_structp png, png_infop info, int *gray16)
{
    int type = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    *gray16 = (type == PNG_COLOR_TYPE_GRAY && depth == 16);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16 && !*gray16) png_set_strip_16(png); /* high byte */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

static int decode_rows(png_ctx *c, png_structp png, png_infop info,
                       img_rgb *out, img_meta *meta)
{
    const img_src *src = c->src;
    png_read_info(png, info);
    int w = (int)png_get_image_width(png, info);
    int h = (int)png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    meta->width = w;
    meta->height = h;
    png_bytep exif = NULL;
    png_uint_32 exif_len = 0;
    if (png_get_eXIf_1(png, info, &exif_len, &exif) && exif) {
        meta->exif = exif; /* valid until the read struct is destroyed */
        meta->exif_len = exif_len;
    }
    int gray16;
    setup_transforms(png, info, &gray16);
    int with_alpha = (type & PNG_COLOR_MASK_ALPHA) != 0;
    int rc = img_rgb_alloc(src, out, w, h, with_alpha, c->err);
    if (rc) return rc;
    out->nearest = type == PNG_COLOR_TYPE_PALETTE ||
                   (type == PNG_COLOR_TYPE_GRAY && depth == 1);
    size_t rowbytes = png_get_rowbytes(png, info);
    c->raw = malloc(rowbytes * h);
    c->rows = malloc(sizeof *c->rows * h);
    if (!c->raw || !c->rows) {
        vlm_set_err(c->err, "%s: out of memory decoding PNG", src->label);
        return VLM_ENOMEM;
    }
    for (int y = 0; y < h; y++) c->rows[y] = c->raw + rowbytes * y;
    png_read_image(png, c->rows);
    int channels = png_get_channels(png, info);
    for (int y = 0; y < h; y++)
        convert_row(c->rows[y], channels, gray16, w,
                    out->pixels + (size_t)y * w * 3,
                    with_alpha ? out->alpha + (size_t)y * w : NULL);
    return VLM_OK;
}

int img_decode_png(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    int rc = check_ihdr(src, err);
    if (rc) return rc;
    png_ctx c = {src, 8, err, NULL, NULL};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, NULL, NULL);
        vlm_set_err(err, "%s: cannot start the PNG decoder", src->label);
        return VLM_ENOMEM;
    }
    png_set_read_fn(png, &c, on_read);
    png_set_sig_bytes(png, 8);
    /* Our own pixel limit (checked above) is the one that applies. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    if (setjmp(png_jmpbuf(png))) {
        rc = VLM_EFORMAT;
    } else {
        rc = decode_rows(&c, png, info, out, meta);
    }
    /* The EXIF blob lives in libpng's memory: read it before destroying. */
    if (rc == VLM_OK && meta->exif)
        img_exif_read(meta->exif, meta->exif_len, &meta->orientation,
                      meta->exif_datetime, meta->camera_make,
                      meta->camera_model);
    meta->exif = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    free(c.rows);
    free(c.raw);
    return rc;
}
