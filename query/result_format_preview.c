/*
 * result_format_preview.c — a result's image as terminal graphics
 * (`vlmsearch --preview`): decoded like any untrusted file, scaled down to
 * the preview height (Pillow-style antialiased bicubic), then written as
 * kitty graphics (raw RGB, base64 in 4096-byte chunks), an iTerm2 inline
 * image (PNG through libpng) or sixel (libsixel, 256-colour dither).
 */
#include <openssl/evp.h>
#include <png.h>
#include <sixel.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_file.h"
#include "query/result_format.h"

#define PREVIEW_MAX_ASPECT 4 /* a panorama is shown at most 4x as wide */

/* The image scaled to height h (aspect kept, width bounded). */
static int scaled(const char *path, int h, uint8_t **rgb, int *w_out,
                  int *h_out, char *err)
{
    img_rgb im = {0};
    int rc = media_load_file(path, NULL, &im, err);
    if (rc) return rc;
    if (h > im.height) h = im.height; /* never enlarge */
    long w = (long)im.width * h / (im.height > 0 ? im.height : 1);
    if (w > (long)h * PREVIEW_MAX_ASPECT) w = (long)h * PREVIEW_MAX_ASPECT;
    if (w < 1) w = 1;
    img_prep_params p = {.crop_w = (int)w, .crop_h = h};
    *rgb = malloc((size_t)w * (size_t)h * 3);
    rc = *rgb ? img_resize_crop_u8(&im, &p, *rgb, err) : VLM_ENOMEM;
    img_rgb_free(&im);
    if (rc) {
        free(*rgb);
        *rgb = NULL;
    }
    *w_out = (int)w;
    *h_out = h;
    return rc;
}

static char *base64(const uint8_t *b, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, b, (int)n);
    return out;
}

static int write_kitty(FILE *out, const uint8_t *rgb, int w, int h)
{
    char *b64 = base64(rgb, (size_t)w * (size_t)h * 3);
    if (!b64) return VLM_ENOMEM;
    size_t len = strlen(b64);
    for (size_t at = 0; at < len || at == 0; at += 4096) {
        size_t n = len - at < 4096 ? len - at : 4096;
        if (at == 0)
            fprintf(out, "\033_Ga=T,f=24,s=%d,v=%d,m=%d;", w, h, at + n < len);
        else
            fprintf(out, "\033_Gm=%d;", at + n < len);
        fwrite(b64 + at, 1, n, out);
        fputs("\033\\", out);
        if (!len) break;
    }
    free(b64);
    return VLM_OK;
}

static int write_iterm(FILE *out, const uint8_t *rgb, int w, int h, char *err)
{
    png_image im = {.version = PNG_IMAGE_VERSION,
                    .width = (png_uint_32)w,
                    .height = (png_uint_32)h,
                    .format = PNG_FORMAT_RGB};
    png_alloc_size_t size = 0;
    if (!png_image_write_get_memory_size(im, size, 0, rgb, 0, NULL)) {
        vlm_set_err(err, "preview: PNG encoding failed: %s", im.message);
        return VLM_EIO;
    }
    uint8_t *png = malloc(size);
    int ok = png && png_image_write_to_memory(&im, png, &size, 0, rgb, 0, NULL);
    char *b64 = ok ? base64(png, size) : NULL;
    if (b64)
        fprintf(out,
                "\033]1337;File=inline=1;size=%zu;width=%dpx;height=%dpx;"
                "preserveAspectRatio=1:%s\a",
                (size_t)size, w, h, b64);
    free(png);
    free(b64);
    return b64 ? VLM_OK : VLM_ENOMEM;
}

static int sixel_write(char *data, int size, void *priv)
{
    return fwrite(data, 1, (size_t)size, priv) == (size_t)size ? 0 : -1;
}

static int write_sixel(FILE *out, uint8_t *rgb, int w, int h, char *err)
{
    sixel_output_t *o = NULL;
    sixel_dither_t *d = NULL;
    SIXELSTATUS s = sixel_output_new(&o, sixel_write, out, NULL);
    if (SIXEL_SUCCEEDED(s)) s = sixel_dither_new(&d, 256, NULL);
    if (SIXEL_SUCCEEDED(s))
        s = sixel_dither_initialize(d, rgb, w, h, SIXEL_PIXELFORMAT_RGB888,
                                    SIXEL_LARGE_AUTO, SIXEL_REP_AUTO,
                                    SIXEL_QUALITY_AUTO);
    if (SIXEL_SUCCEEDED(s)) s = sixel_encode(rgb, w, h, 3, d, o);
    if (d) sixel_dither_unref(d);
    if (o) sixel_output_unref(o);
    if (SIXEL_SUCCEEDED(s)) return VLM_OK;
    vlm_set_err(err, "preview: sixel encoding failed: %s",
                sixel_helper_format_error(s));
    return VLM_EIO;
}

int preview_write(FILE *out, const char *path, preview_protocol proto,
                  int height, char *err)
{
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    int rc = scaled(path, height, &rgb, &w, &h, err);
    if (!rc && proto == PREVIEW_KITTY) rc = write_kitty(out, rgb, w, h);
    if (!rc && proto == PREVIEW_ITERM) rc = write_iterm(out, rgb, w, h, err);
    if (!rc && proto == PREVIEW_SIXEL) rc = write_sixel(out, rgb, w, h, err);
    if (!rc) fputc('\n', out);
    free(rgb);
    return rc;
}
