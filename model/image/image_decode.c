/*
 * image_decode.c — the public decode entry points: read the file, sniff the
 * format, run the matching decoder, then apply the EXIF orientation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/image/image_internal.h"

static img_decoder_fn decoder_for(img_format f)
{
    switch (f) {
    case IMG_JPEG: return img_decode_jpeg;
    case IMG_PNG: return img_decode_png;
    case IMG_WEBP: return img_decode_webp;
    case IMG_GIF: return img_decode_gif;
    case IMG_TIFF: return img_decode_tiff;
    case IMG_BMP: return img_decode_bmp;
    case IMG_PNM: return img_decode_pnm;
    default: return NULL;
    }
}

static void fill_info(img_info *info, img_format f, const img_meta *m,
                      int orientation, const char *datetime, const char *make,
                      const char *model)
{
    if (!info) return;
    memset(info, 0, sizeof *info);
    info->format = f;
    info->width = m->width;
    info->height = m->height;
    info->orientation = orientation;
    info->decoded_scale_denom = m->scale_denom > 0 ? m->scale_denom : 1;
    snprintf(info->exif_datetime, sizeof info->exif_datetime, "%s", datetime);
    snprintf(info->camera_make, sizeof info->camera_make, "%s", make);
    snprintf(info->camera_model, sizeof info->camera_model, "%s", model);
}

int img_decode_memory(const void *bytes, size_t len, const char *label,
                      const img_decode_opts *opts, img_rgb *out, img_info *info,
                      char *err)
{
    if (!label) label = "<memory>";
    if (!out) {
        vlm_set_err(err, "%s: no output image given", label);
        return VLM_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (info) memset(info, 0, sizeof *info);
    if (!bytes || len == 0) {
        vlm_set_err(err, "%s: empty file", label);
        return VLM_EFORMAT;
    }
    img_format f = img_sniff(bytes, len);
    img_decoder_fn dec = decoder_for(f);
    if (!dec) {
        vlm_set_err(err, "%s: not a recognised image format (%zu bytes)", label,
                    len);
        return VLM_EUNSUPPORTED;
    }
    img_src src = {bytes, len, label, IMG_DEFAULT_MAX_PIXELS, 0};
    if (opts && opts->max_pixels) src.max_pixels = opts->max_pixels;
    if (opts && opts->min_short_side > 0)
        src.min_short_side = opts->min_short_side;

    img_meta meta = {0};
    int rc = dec(&src, out, &meta, err);
    if (rc) {
        img_rgb_free(out);
        return rc;
    }
    int orientation = 1;
    char datetime[20] = "", make[64] = "", model[64] = "";
    if (meta.exif)
        img_exif_read(meta.exif, meta.exif_len, &orientation, datetime, make,
                      model);
    if (meta.camera_make[0]) memcpy(make, meta.camera_make, sizeof make);
    if (meta.camera_model[0]) memcpy(model, meta.camera_model, sizeof model);
    if (meta.orientation >= 1 && meta.orientation <= 8)
        orientation = meta.orientation;
    if (meta.exif_datetime[0])
        memcpy(datetime, meta.exif_datetime, sizeof datetime);
    rc = img_apply_orientation(out, orientation, err);
    if (rc) {
        img_rgb_free(out);
        return rc;
    }
    fill_info(info, f, &meta, orientation, datetime, make, model);
    return VLM_OK;
}

/* Files are read whole (images are small next to the pixels they hold); a
 * file bigger than this is refused rather than slurped. */
#define IMG_MAX_FILE_BYTES (1024ull * 1024 * 1024)

/* Whole file into memory. */
static int read_file(const char *path, uint8_t **buf, size_t *len, char *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        vlm_set_err(err, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        vlm_set_err(err, "%s: not a regular file", path);
        fclose(fp);
        return VLM_EIO;
    }
    if ((unsigned long long)st.st_size > IMG_MAX_FILE_BYTES) {
        vlm_set_err(err,
                    "%s: file is %lld bytes, over the 1 GiB limit for "
                    "an image",
                    path, (long long)st.st_size);
        fclose(fp);
        return VLM_ETOOBIG;
    }
    size_t n = (size_t)st.st_size;
    *buf = malloc(n ? n : 1);
    if (!*buf) {
        fclose(fp);
        vlm_set_err(err, "%s: out of memory reading %zu bytes", path, n);
        return VLM_ENOMEM;
    }
    size_t got = fread(*buf, 1, n, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || got != n) {
        free(*buf);
        *buf = NULL;
        vlm_set_err(err, "%s: read failed", path);
        return VLM_EIO;
    }
    *len = n;
    return VLM_OK;
}

int img_decode_file(const char *path, const img_decode_opts *opts, img_rgb *out,
                    img_info *info, char *err)
{
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) {
        vlm_set_err(err, "img_decode_file: path and output are required");
        return VLM_EINVAL;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc) return rc;
    rc = img_decode_memory(buf, len, path, opts, out, info, err);
    free(buf);
    return rc;
}
