/*
 * dicom_image.c — DICOM recognition and the load path: structural check →
 * GDCM shim → VOI
 * window → MONOCHROME1 inversion → 8-bit RGB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/dicom/dicom.h"
#include "model/dicom/dicom_shim.h"
#include "model/dicom/dicom_validate.h"

int dicom_sniff(const void *bytes, size_t len)
{
    return len >= DICOM_SNIFF_BYTES &&
           memcmp((const char *)bytes + 128, "DICM", 4) == 0;
}

int dicom_sniff_file(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return VLM_EIO;
    }
    unsigned char head[DICOM_SNIFF_BYTES];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return dicom_sniff(head, n);
}

/* Window an image in modality units into grey RGB (PS3.3 C.11.2.1.2). */
static void window_grey(const dicom_raw *raw, const dicom_window *w,
                        uint8_t *rgb)
{
    size_t n = (size_t)raw->width * raw->height;
    for (size_t i = 0; i < n; i++) {
        int g = dicom_window_apply_value(raw->values[i], w->center, w->width);
        if (raw->monochrome1) g = 255 - g;
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (uint8_t)g;
    }
}

static int render(dicom_raw *raw, const dicom_load_opts *opts, img_rgb *out,
                  dicom_header *hdr, const char *label, char *err)
{
    *hdr = raw->hdr;
    if (raw->samples == 3) { /* colour: no VOI, hand the buffer over */
        *out = (img_rgb){
            .width = raw->width, .height = raw->height, .pixels = raw->rgb};
        raw->rgb = NULL;
        return VLM_OK;
    }
    size_t n = (size_t)raw->width * raw->height;
    uint8_t *rgb = malloc(n * 3);
    if (!rgb) {
        vlm_set_err(err, "%s: out of memory for %zu pixels", label, n);
        return VLM_ENOMEM;
    }
    dicom_window_context ctx = {.has_stored = raw->has_stored,
                                .stored_center = raw->stored_center,
                                .stored_width = raw->stored_width,
                                .range_lo = raw->range_lo,
                                .range_hi = raw->range_hi};
    snprintf(ctx.modality, sizeof ctx.modality, "%s", raw->hdr.modality);
    snprintf(ctx.body_part, sizeof ctx.body_part, "%s", raw->hdr.body_part);
    dicom_window_resolve(opts ? &opts->window : NULL, &ctx, &hdr->window);
    hdr->windowed = 1;
    window_grey(raw, &hdr->window, rgb);
    *out = (img_rgb){.width = raw->width, .height = raw->height, .pixels = rgb};
    return VLM_OK;
}

static int finish(int st, dicom_raw *raw, const dicom_load_opts *opts,
                  img_rgb *out, dicom_header *hdr, const char *label, char *err)
{
    if (st == VLM_OK) st = render(raw, opts, out, hdr, label, err);
    dicom_raw_free(raw);
    if (st != VLM_OK) {
        memset(out, 0, sizeof *out);
        memset(hdr, 0, sizeof *hdr);
    }
    return st;
}

int dicom_load_memory(const void *bytes, size_t len, const char *label,
                      const dicom_load_opts *opts, img_rgb *out,
                      dicom_header *hdr, char *err)
{
    dicom_raw raw = {0};
    int st = VLM_OK;
    if (!dicom_sniff(bytes, len)) {
        vlm_set_err(err, "%s: not a DICOM file (no DICM marker at byte 128)",
                    label);
        st = VLM_EFORMAT;
    } else if ((st = dicom_validate(bytes, len, label, err)) == VLM_OK) {
        st = dicom_shim_read(bytes, len, label, opts ? opts->max_pixels : 0,
                             &raw, err);
    }
    return finish(st, &raw, opts, out, hdr, label, err);
}

/* Whole file into memory: the validator and GDCM both need the bytes. */
static int read_file(const char *path, uint8_t **bytes, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    struct stat sb;
    int st = VLM_OK;
    *bytes = NULL;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
        vlm_set_err(err, "%s: cannot stat: %s", path, strerror(errno));
        st = VLM_EIO;
    } else if (!(*bytes = malloc((size_t)sb.st_size + 1))) {
        vlm_set_err(err, "%s: out of memory for %lld bytes", path,
                    (long long)sb.st_size);
        st = VLM_ENOMEM;
    } else if (fread(*bytes, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
        vlm_set_err(err, "%s: read error", path);
        st = VLM_EIO;
    }
    fclose(f);
    if (st != VLM_OK) {
        free(*bytes);
        *bytes = NULL;
    }
    *len = st == VLM_OK ? (size_t)sb.st_size : 0;
    return st;
}

int dicom_load_file(const char *path, const dicom_load_opts *opts, img_rgb *out,
                    dicom_header *hdr, char *err)
{
    uint8_t *bytes;
    size_t len;
    int st = read_file(path, &bytes, &len, err);
    if (st != VLM_OK) {
        memset(out, 0, sizeof *out);
        memset(hdr, 0, sizeof *hdr);
        return st;
    }
    st = dicom_load_memory(bytes, len, path, opts, out, hdr, err);
    free(bytes);
    return st;
}
