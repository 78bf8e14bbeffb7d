/*
 * image_buffer.c — allocation of decoded images behind the pixel limit, and
 * the palette helpers several decoders share.
 */
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

void img_rgb_free(img_rgb *im)
{
    if (!im) return;
    free(im->pixels);
    free(im->alpha);
    memset(im, 0, sizeof *im);
}

int img_check_size(const img_src *src, long long width, long long height,
                   char *err)
{
    if (width <= 0 || height <= 0) {
        vlm_set_err(err, "%s: invalid image size %lldx%lld", src->label, width,
                    height);
        return VLM_EFORMAT;
    }
    /* Both factors are bounded by the int range of every format's fields,
     * so the product fits in unsigned long long. */
    unsigned long long px =
        (unsigned long long)width * (unsigned long long)height;
    if (width > 0x7fffffffLL / 4 || height > 0x7fffffffLL / 4 ||
        px > src->max_pixels) {
        vlm_set_err(err,
                    "%s: image is %lldx%lld = %llu pixels, over the "
                    "limit of %llu (possible decompression bomb)",
                    src->label, width, height, px,
                    (unsigned long long)src->max_pixels);
        return VLM_ETOOBIG;
    }
    return VLM_OK;
}

int img_rgb_alloc(const img_src *src, img_rgb *im, int width, int height,
                  int with_alpha, char *err)
{
    int rc = img_check_size(src, width, height, err);
    if (rc) return rc;
    size_t n = (size_t)width * (size_t)height;
    memset(im, 0, sizeof *im);
    im->pixels = malloc(n * 3);
    im->alpha = with_alpha ? malloc(n) : NULL;
    if (!im->pixels || (with_alpha && !im->alpha)) {
        img_rgb_free(im);
        vlm_set_err(err, "%s: out of memory for a %dx%d image", src->label,
                    width, height);
        return VLM_ENOMEM;
    }
    im->width = width;
    im->height = height;
    return VLM_OK;
}

void img_palette_init(img_palette *p, const uint8_t *entries, int count,
                      int entry_size)
{
    for (int i = 0; i < 256; i++)
        p->rgb[i][0] = p->rgb[i][1] = p->rgb[i][2] = (uint8_t)i;
    if (count > 256) count = 256;
    for (int i = 0; i < count; i++)
        memcpy(p->rgb[i], entries + (size_t)i * entry_size, 3);
}

int img_palette_is_identity_gray(const uint8_t *entries, int count,
                                 int entry_size)
{
    for (int i = 0; i < count; i++) {
        const uint8_t *e = entries + (size_t)i * entry_size;
        if (e[0] != i || e[1] != i || e[2] != i) return 0;
    }
    return 1;
}
