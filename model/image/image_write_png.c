/*
 * image_write_png.c — an img_rgb to an 8-bit RGB PNG file through libpng's
 * simplified writer (used by `vlmindex render` to show what the model sees).
 */
#include <png.h>
#include <string.h>

#include "model/image/image.h"

int img_write_png(const char *path, const img_rgb *im, char *err)
{
    if (!im->pixels || im->width <= 0 || im->height <= 0) {
        vlm_set_err(err, "%s: no image to write", path);
        return VLM_EINVAL;
    }
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)im->width;
    pi.height = (png_uint_32)im->height;
    pi.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&pi, path, 0, im->pixels, 0, NULL)) {
        vlm_set_err(err, "%s: cannot write PNG: %s", path, pi.message);
        png_image_free(&pi);
        return VLM_EIO;
    }
    return VLM_OK;
}
