/*
 * decode_tiff.c — the first directory of a TIFF through libtiff's RGBA
 * interface, which covers every photometric/compression combination libtiff
 * knows.  libtiff's messages are routed into err through per-handle handlers
 * (libtiff >= 4.5), never to stderr.  Pixels come back in stored order; the
 * Orientation tag is handed to the dispatcher, which applies it like
 * exif_transpose.  Palette and bilevel files are Pillow "P"/"1" (nearest
 * resize); alpha, which libtiff returns premultiplied, is un-premultiplied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "model/image/image_internal.h"

typedef struct tiff_io {
    const img_src *src;
    toff_t pos;
    char msg[256];
} tiff_io;

static tmsize_t io_read(thandle_t h, void *dst, tmsize_t n)
{
    tiff_io *io = h;
    if (n < 0 || io->pos >= io->src->len) return 0;
    size_t left = io->src->len - io->pos;
    size_t take = (size_t)n < left ? (size_t)n : left;
    memcpy(dst, io->src->bytes + io->pos, take);
    io->pos += take;
    return (tmsize_t)take;
}

static tmsize_t io_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h;
    (void)src;
    (void)n;
    return -1;
}

static toff_t io_seek(thandle_t h, toff_t off, int whence)
{
    tiff_io *io = h;
    toff_t base = whence == SEEK_CUR   ? io->pos
                  : whence == SEEK_END ? io->src->len
                                       : 0;
    io->pos = base + off;
    return io->pos;
}

static int io_close(thandle_t h)
{
    (void)h;
    return 0;
}
static toff_t io_size(thandle_t h) { return ((tiff_io *)h)->src->len; }
static int io_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}
static void io_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/* Keep the first error; returning 1 stops libtiff's global (stderr) handler. */
static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                    va_list ap)
{
    (void)tif;
    (void)module;
    tiff_io *io = user;
    if (!io->msg[0]) vsnprintf(io->msg, sizeof io->msg, fmt, ap);
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module,
                      const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static int fail(const tiff_io *io, const char *what, char *err)
{
    vlm_set_err(err, "%s: %s%s%s", io->src->label, what, io->msg[0] ? ": " : "",
                io->msg);
    return VLM_EFORMAT;
}

/* libtiff hands out ABGR words with premultiplied alpha. */
static void unpack_raster(const uint32_t *raster, img_rgb *out)
{
    size_t n = (size_t)out->width * out->height;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = raster[i];
        uint8_t rgb[3] = {TIFFGetR(p), TIFFGetG(p), TIFFGetB(p)};
        unsigned a = TIFFGetA(p);
        for (int c = 0; c < 3 && out->alpha; c++)
            if (a != 0 && a != 255) {
                unsigned v = 255u * rgb[c] / a;
                rgb[c] = (uint8_t)(v > 255 ? 255 : v);
            }
        memcpy(out->pixels + 3 * i, rgb, 3);
        if (out->alpha) out->alpha[i] = (uint8_t)a;
    }
}

static int has_alpha(TIFF *tif)
{
    uint16_t count = 0, *types = NULL;
    if (!TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &count, &types)) return 0;
    for (int i = 0; i < count; i++)
        if (types[i] == EXTRASAMPLE_ASSOCALPHA ||
            types[i] == EXTRASAMPLE_UNASSALPHA)
            return 1;
    return 0;
}

static int decode_open(TIFF *tif, tiff_io *io, img_rgb *out, img_meta *meta,
                       char *err)
{
    uint32_t w = 0, h = 0;
    uint16_t photometric = 0, bps = 1, orientation = ORIENTATION_TOPLEFT;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orientation);
    meta->width = (int)w;
    meta->height = (int)h;
    meta->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    int rc = img_check_size(io->src, w, h, err);
    if (rc) return rc;
    rc = img_rgb_alloc(io->src, out, (int)w, (int)h, has_alpha(tif), err);
    if (rc) return rc;
    out->nearest = photometric == PHOTOMETRIC_PALETTE ||
                   (bps == 1 && (photometric == PHOTOMETRIC_MINISBLACK ||
                                 photometric == PHOTOMETRIC_MINISWHITE));
    uint32_t *raster = _TIFFmalloc((tmsize_t)w * h * 4);
    if (!raster) {
        vlm_set_err(err, "%s: out of memory decoding TIFF", io->src->label);
        return VLM_ENOMEM;
    }
    /* Requesting the file's own orientation means "no flips": stored order. */
    if (TIFFReadRGBAImageOriented(tif, w, h, raster, orientation, 1))
        unpack_raster(raster, out);
    else
        rc = fail(io, "corrupt or unsupported TIFF data", err);
    _TIFFfree(raster);
    return rc;
}

int img_decode_tiff(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    tiff_io io = {src, 0, ""};
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) {
        vlm_set_err(err, "%s: out of memory opening TIFF", src->label);
        return VLM_ENOMEM;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &io);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &io);
    TIFF *tif =
        TIFFClientOpenExt(src->label, "rm", &io, io_read, io_write, io_seek,
                          io_close, io_size, io_map, io_unmap, opts);
    TIFFOpenOptionsFree(opts);
    if (!tif) return fail(&io, "invalid TIFF header", err);
    int rc = decode_open(tif, &io, out, meta, err);
    TIFFClose(tif);
    return rc;
}
