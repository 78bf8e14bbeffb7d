/*
 * decode_jpeg.c — JPEG through the TurboJPEG API of libjpeg-turbo.
 *
 * Settings match Pillow's libjpeg use (accurate integer IDCT, fancy
 * upsampling), so full-size decodes agree with Pillow bit for bit.  CMYK and
 * YCCK files are decoded to CMYK and converted like Pillow: the samples are
 * taken as Adobe-inverted ("CMYK;I") and then mapped with Pillow's cmyk2rgb.
 * Any libjpeg warning (premature end of data, corrupt scan) is an error:
 * Pillow would silently hand back a half-grey image, which must not be
 * embedded as if it were the photo.
 */
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "model/image/image_internal.h"

/* Pillow's MULDIV255: round(a*b/255) in integers. */
static inline int muldiv255(int a, int b)
{
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static inline uint8_t clip8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Adobe CMYK is stored inverted; Pillow reads it as "CMYK;I" then applies
 * cmyk2rgb: channel = (255-k) - (c*(255-k))/255. */
static void inverted_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t n)
{
    for (size_t i = 0; i < n; i++, cmyk += 4, rgb += 3) {
        int nk = cmyk[3]; /* 255 - (255 - stored k) */
        for (int c = 0; c < 3; c++)
            rgb[c] = clip8(nk - muldiv255(255 - cmyk[c], nk));
    }
}

/* Largest 1/N reduction whose shorter side still reaches min_short. */
static int pick_scale(int w, int h, int min_short, tjscalingfactor *sf)
{
    int count = 0;
    tjscalingfactor *all = tjGetScalingFactors(&count);
    sf->num = sf->denom = 1;
    if (min_short <= 0 || !all) return 1;
    int best = 1;
    for (int i = 0; i < count; i++) {
        if (all[i].num != 1 || all[i].denom <= best) continue;
        int sw = TJSCALED(w, all[i]), sh = TJSCALED(h, all[i]);
        if ((sw < sh ? sw : sh) >= min_short) {
            best = all[i].denom;
            *sf = all[i];
        }
    }
    return best;
}

static int decompress(tjhandle tj, const img_src *src, int w, int h,
                      int pixel_format, uint8_t *dst, char *err)
{
    int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
    if (tjDecompress2(tj, src->bytes, (unsigned long)src->len, dst, w, 0, h,
                      pixel_format, flags) == 0)
        return VLM_OK;
    vlm_set_err(err, "%s: corrupt or truncated JPEG data: %s", src->label,
                tjGetErrorStr2(tj));
    return VLM_EFORMAT;
}

static int decode_cmyk(tjhandle tj, const img_src *src, img_rgb *out, int w,
                       int h, char *err)
{
    int rc = img_rgb_alloc(src, out, w, h, 0, err);
    if (rc) return rc;
    uint8_t *cmyk = malloc((size_t)w * h * 4);
    if (!cmyk) {
        vlm_set_err(err, "%s: out of memory for CMYK data", src->label);
        return VLM_ENOMEM;
    }
    rc = decompress(tj, src, w, h, TJPF_CMYK, cmyk, err);
    if (!rc) inverted_cmyk_to_rgb(cmyk, out->pixels, (size_t)w * h);
    free(cmyk);
    return rc;
}

static int decode_with(tjhandle tj, const img_src *src, img_rgb *out,
                       img_meta *meta, char *err)
{
    int w, h, subsamp, colorspace;
    if (tjDecompressHeader3(tj, src->bytes, (unsigned long)src->len, &w, &h,
                            &subsamp, &colorspace) != 0) {
        vlm_set_err(err, "%s: invalid JPEG header: %s", src->label,
                    tjGetErrorStr2(tj));
        return VLM_EFORMAT;
    }
    meta->width = w;
    meta->height = h;
    int rc = img_check_size(src, w, h, err);
    if (rc) return rc;
    tjscalingfactor sf;
    meta->scale_denom = pick_scale(w, h, src->min_short_side, &sf);
    int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
    if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK)
        return decode_cmyk(tj, src, out, sw, sh, err);
    rc = img_rgb_alloc(src, out, sw, sh, 0, err);
    if (rc) return rc;
    return decompress(tj, src, sw, sh, TJPF_RGB, out->pixels, err);
}

int img_decode_jpeg(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    tjhandle tj = tjInitDecompress();
    if (!tj) {
        vlm_set_err(err, "%s: cannot start the JPEG decoder: %s", src->label,
                    tjGetErrorStr2(NULL));
        return VLM_ENOMEM;
    }
    int rc = decode_with(tj, src, out, meta, err);
    tjDestroy(tj);
    /* libexif finds the APP1 segment itself when given the whole stream. */
    meta->exif = src->bytes;
    meta->exif_len = src->len;
    return rc;
}
