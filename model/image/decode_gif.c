/*
 * decode_gif.c — the first frame of a GIF through giflib, built the way
 * Pillow 9 builds frame 0: a canvas of the logical screen size filled with
 * the transparent index (or 0), the frame's pixels written into their
 * rectangle, then the frame palette (local, else global) applied.  A palette
 * that is exactly i -> (i,i,i), or none at all, makes Pillow open the image
 * as "L" (bicubic resize); otherwise it is "P" (nearest resize).
 * Only records up to the first image are read, so a long animation costs no
 * more than its first frame.
 */
#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

typedef struct gif_reader {
    const img_src *src;
    size_t pos;
} gif_reader;

static int on_read(GifFileType *gif, GifByteType *dst, int n)
{
    gif_reader *r = gif->UserData;
    size_t left = r->src->len - r->pos;
    size_t take = n < 0 ? 0 : (size_t)n < left ? (size_t)n : left;
    memcpy(dst, r->src->bytes + r->pos, take);
    r->pos += take;
    return (int)take;
}

typedef struct gif_frame {
    int transparent; /* index or -1 */
    int left, top, w, h, interlace;
    const ColorMapObject *cmap;
} gif_frame;

static int fail(const img_src *src, GifFileType *gif, char *err)
{
    vlm_set_err(err, "%s: corrupt or truncated GIF: %s", src->label,
                GifErrorString(gif->Error) ? GifErrorString(gif->Error)
                                           : "unknown error");
    return VLM_EFORMAT;
}

/* Skip extensions until the first image descriptor; remember transparency. */
static int seek_first_image(const img_src *src, GifFileType *gif, gif_frame *fr,
                            char *err)
{
    fr->transparent = -1;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) == GIF_ERROR)
            return fail(src, gif, err);
        if (type == TERMINATE_RECORD_TYPE) {
            vlm_set_err(err, "%s: GIF has no image", src->label);
            return VLM_EFORMAT;
        }
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) == GIF_ERROR) return fail(src, gif, err);
            fr->left = gif->Image.Left;
            fr->top = gif->Image.Top;
            fr->w = gif->Image.Width;
            fr->h = gif->Image.Height;
            fr->interlace = gif->Image.Interlace;
            fr->cmap =
                gif->Image.ColorMap ? gif->Image.ColorMap : gif->SColorMap;
            return VLM_OK;
        }
        if (type != EXTENSION_RECORD_TYPE) continue;
        int code;
        GifByteType *ext;
        if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR)
            return fail(src, gif, err);
        if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4 &&
            (ext[1] & 1))
            fr->transparent = ext[4];
        while (ext)
            if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR)
                return fail(src, gif, err);
    }
}

/* Frame rows into the index canvas, honouring the interlaced row order. */
static int read_indices(const img_src *src, GifFileType *gif,
                        const gif_frame *fr, uint8_t *canvas, int cw, char *err)
{
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int passes = fr->interlace ? 4 : 1;
    for (int p = 0; p < passes; p++) {
        int y0 = fr->interlace ? start[p] : 0, dy = fr->interlace ? step[p] : 1;
        for (int y = y0; y < fr->h; y += dy) {
            uint8_t *row = canvas + (size_t)(fr->top + y) * cw + fr->left;
            if (DGifGetLine(gif, row, fr->w) == GIF_ERROR)
                return fail(src, gif, err);
        }
    }
    return VLM_OK;
}

static void apply_palette(const uint8_t *idx, const gif_frame *fr, img_rgb *out)
{
    img_palette pal;
    int count = fr->cmap ? fr->cmap->ColorCount : 0;
    const uint8_t *entries =
        fr->cmap ? (const uint8_t *)fr->cmap->Colors : NULL;
    img_palette_init(&pal, entries, count, 3);
    out->nearest =
        count > 0 && !img_palette_is_identity_gray(entries, count, 3);
    size_t n = (size_t)out->width * out->height;
    for (size_t i = 0; i < n; i++)
        memcpy(out->pixels + 3 * i, pal.rgb[idx[i]], 3);
}

static int decode_open(const img_src *src, GifFileType *gif, img_rgb *out,
                       img_meta *meta, char *err)
{
    int rc = img_check_size(src, gif->SWidth, gif->SHeight, err);
    if (rc) return rc;
    gif_frame fr;
    rc = seek_first_image(src, gif, &fr, err);
    if (rc) return rc;
    /* Pillow grows the canvas when the frame pokes out of the screen. */
    int cw = fr.left + fr.w > gif->SWidth ? fr.left + fr.w : gif->SWidth;
    int ch = fr.top + fr.h > gif->SHeight ? fr.top + fr.h : gif->SHeight;
    meta->width = cw;
    meta->height = ch;
    rc = img_rgb_alloc(src, out, cw, ch, 0, err);
    if (rc) return rc;
    uint8_t *idx = malloc((size_t)cw * ch);
    if (!idx) {
        vlm_set_err(err, "%s: out of memory decoding GIF", src->label);
        return VLM_ENOMEM;
    }
    memset(idx, fr.transparent >= 0 ? fr.transparent : 0, (size_t)cw * ch);
    rc = read_indices(src, gif, &fr, idx, cw, err);
    if (!rc) apply_palette(idx, &fr, out);
    free(idx);
    return rc;
}

int img_decode_gif(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    gif_reader r = {src, 0};
    int gerr = 0;
    GifFileType *gif = DGifOpen(&r, on_read, &gerr);
    if (!gif) {
        vlm_set_err(err, "%s: invalid GIF header: %s", src->label,
                    GifErrorString(gerr) ? GifErrorString(gerr) : "unknown");
        return VLM_EFORMAT;
    }
    int rc = decode_open(src, gif, out, meta, err);
    DGifCloseFile(gif, &gerr);
    return rc;
}
