/*
 * image_transpose.c — the eight EXIF orientations, applied exactly like
 * PIL.ImageOps.exif_transpose: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180,
 * 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90.
 */
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

/* Source coordinates of output pixel (x, y) for an input of w x h. */
static void source_of(int orientation, int x, int y, int w, int h, int *sx,
                      int *sy)
{
    switch (orientation) {
    case 2:
        *sx = w - 1 - x;
        *sy = y;
        break;
    case 3:
        *sx = w - 1 - x;
        *sy = h - 1 - y;
        break;
    case 4:
        *sx = x;
        *sy = h - 1 - y;
        break;
    case 5:
        *sx = y;
        *sy = x;
        break;
    case 6:
        *sx = y;
        *sy = h - 1 - x;
        break;
    case 7:
        *sx = w - 1 - y;
        *sy = h - 1 - x;
        break;
    default:
        *sx = w - 1 - y;
        *sy = x;
        break; /* 8 */
    }
}

static uint8_t *remap(const uint8_t *in, int w, int h, int ch, int orientation)
{
    int swap = orientation >= 5;
    int ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *out = malloc((size_t)w * h * ch);
    if (!out) return NULL;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx, sy;
            source_of(orientation, x, y, w, h, &sx, &sy);
            memcpy(out + ((size_t)y * ow + x) * ch,
                   in + ((size_t)sy * w + sx) * ch, ch);
        }
    return out;
}

int img_apply_orientation(img_rgb *im, int orientation, char *err)
{
    if (orientation < 2 || orientation > 8) return VLM_OK;
    uint8_t *px = remap(im->pixels, im->width, im->height, 3, orientation);
    uint8_t *alpha =
        im->alpha ? remap(im->alpha, im->width, im->height, 1, orientation)
                  : NULL;
    if (!px || (im->alpha && !alpha)) {
        free(px);
        free(alpha);
        vlm_set_err(err, "out of memory applying EXIF orientation");
        return VLM_ENOMEM;
    }
    free(im->pixels);
    free(im->alpha);
    im->pixels = px;
    im->alpha = alpha;
    if (orientation >= 5) {
        int t = im->width;
        im->width = im->height;
        im->height = t;
    }
    return VLM_OK;
}
