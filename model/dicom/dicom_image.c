/*
 * dicom_image.c — the load path: recognition (a bare data set gets a
 * Part-10 header) → bound check → GDCM module (first frame's stored
 * samples and attributes) → display pipeline (dicom_grey.c for
 * MONOCHROME1/2, dicom_colour.c for the rest) → 8-bit RGB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/dicom/dicom.h"
#include "model/dicom/dicom_container.h"
#include "model/dicom/dicom_pipeline.h"
#include "model/dicom/dicom_validate.h"

int dicom_sniff_file(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return VLM_EIO;
    }
    unsigned char head[1024]; /* a bare data set is judged on its first
                                 elements: give it more than 132 bytes */
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return dicom_sniff(head, n);
}

/* Checks and expands the tables the pipeline will use.  A broken VOI LUT
 * is dropped (the window or the fallbacks remain); a broken Modality LUT
 * or palette refuses the file, since no correct picture exists without. */
static int prepare_luts(dicom_raw *r, int colour, const char *label, char *err)
{
    if (r->modality_lut.data &&
        dicom_lut_prepare(&r->modality_lut, "Modality LUT", label, err))
        return VLM_EUNSUPPORTED;
    if (r->voi_lut.data &&
        dicom_lut_prepare(&r->voi_lut, "VOI LUT", label, err)) {
        free(r->voi_lut.data);
        memset(&r->voi_lut, 0, sizeof r->voi_lut);
    }
    int needs_palette =
        r->supplemental || (colour && !strcmp(r->photometric, "PALETTE COLOR"));
    static const char *const NAMES[] = {"red palette", "green palette",
                                        "blue palette"};
    for (int c = 0; needs_palette && c < 3; c++) {
        if (!r->palette[c].data) {
            vlm_set_err(err, "%s: PALETTE COLOR without a %s table", label,
                        NAMES[c]);
            return VLM_EFORMAT;
        }
        if (dicom_lut_prepare(&r->palette[c], NAMES[c], label, err))
            return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

static int render(dicom_raw *raw, const dicom_load_opts *opts, img_rgb *out,
                  dicom_header *hdr, const char *label, char *err)
{
    *hdr = raw->hdr;
    int grey =
        raw->samples == 1 && !strncmp(raw->photometric, "MONOCHROME", 10);
    int st = prepare_luts(raw, !grey, label, err);
    if (st != VLM_OK) return st;
    size_t n = (size_t)raw->width * raw->height;
    uint8_t *rgb = malloc(n * 3);
    if (!rgb) {
        vlm_set_err(err, "%s: out of memory for %zu pixels", label, n);
        return VLM_ENOMEM;
    }
    hdr->windowed = grey;
    st = grey ? dicom_grey_render(raw, opts ? &opts->window : NULL, rgb,
                                  &hdr->window, label, err)
              : dicom_colour_render(raw, rgb, label, err);
    if (st != VLM_OK) {
        free(rgb);
        return st;
    }
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

#define DEFLATED    "1.2.840.10008.1.2.1.99"
#define EXPLICIT_LE "1.2.840.10008.1.2.1"
#define INFLATE_MAX ((size_t)1 << 31) /* 2 GiB of data set */

static int decode_part10(const void *bytes, size_t len, const char *label,
                         const dicom_load_opts *opts, dicom_raw *raw,
                         char *err);

/* Inflated, the data set gets a fresh explicit-LE header and the normal
 * path; the header keeps saying "deflated". */
static int decode_deflated(const uint8_t *data_set, size_t len,
                           const char *label, const dicom_load_opts *opts,
                           dicom_raw *raw, char *err)
{
    uint8_t *plain = NULL, *wrapped = NULL;
    size_t n = 0, wlen = 0;
    int st = dicom_inflate(data_set, len, INFLATE_MAX, &plain, &n, label, err);
    if (st == VLM_OK &&
        (st = dicom_wrap_part10(plain, n, EXPLICIT_LE, &wrapped, &wlen)))
        vlm_set_err(err, "%s: out of memory", label);
    free(plain);
    if (st == VLM_OK) st = decode_part10(wrapped, wlen, label, opts, raw, err);
    free(wrapped);
    if (st == VLM_OK)
        snprintf(raw->hdr.transfer_syntax, sizeof raw->hdr.transfer_syntax,
                 "%s", DEFLATED);
    return st;
}

static int decode_part10(const void *bytes, size_t len, const char *label,
                         const dicom_load_opts *opts, dicom_raw *raw, char *err)
{
    char ts[65];
    size_t at = 0;
    int st = dicom_meta_group(bytes, len, ts, sizeof ts, &at, label, err);
    if (st == VLM_OK && !strcmp(ts, DEFLATED))
        return decode_deflated((const uint8_t *)bytes + at, len - at, label,
                               opts, raw, err);
    if (st == VLM_OK) st = dicom_validate(bytes, len, label, err);
    if (st == VLM_OK)
        st = dicom_shim_read(bytes, len, label, opts ? opts->max_pixels : 0,
                             raw, err);
    return st;
}

int dicom_load_memory(const void *bytes, size_t len, const char *label,
                      const dicom_load_opts *opts, img_rgb *out,
                      dicom_header *hdr, char *err)
{
    dicom_raw raw = {0};
    int st = VLM_OK;
    const char *bare = dicom_bare_syntax(bytes, len);
    if (!dicom_sniff(bytes, len)) {
        vlm_set_err(err,
                    "%s: not a DICOM file (no DICM marker at byte 128, and "
                    "no data set at byte 0)",
                    label);
        st = VLM_EFORMAT;
    } else if (bare) {
        uint8_t *wrapped = NULL;
        size_t wlen = 0;
        st = dicom_wrap_part10(bytes, len, bare, &wrapped, &wlen);
        if (st != VLM_OK)
            vlm_set_err(err, "%s: out of memory", label);
        else if ((st = dicom_validate_strict(wrapped, wlen, label, err)) ==
                 VLM_OK)
            st = decode_part10(wrapped, wlen, label, opts, &raw, err);
        free(wrapped);
    } else {
        st = decode_part10(bytes, len, label, opts, &raw, err);
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
