/*
 * decode_bmp.c — Windows BMP, hand-written: Debian packages no C library for
 * BMP alone (netpbm's libnetpbm only does PNM; bmptopnm is a program), and
 * the uncompressed layouts are a few dozen lines.  Covered: OS/2 and
 * Windows info headers, 1/4/8-bit palettes, 16/24/32-bit with or without
 * BI_BITFIELDS masks, bottom-up and top-down rows.  RLE compression is
 * refused.  Mode choices follow Pillow: a palette that is exactly
 * i -> (i,i,i) opens as "L" (or "1" for black/white), other palettes as
 * "P"; 32-bit keeps alpha only when a bitfield alpha mask says so.
 */
#include <stdlib.h>
#include <string.h>

#include "model/image/image_internal.h"

enum {
    BI_RGB = 0,
    BI_BITFIELDS = 3
};

typedef struct bmp_hdr {
    long long width, height;
    int top_down, bits, compression, colors, pal_entry;
    uint32_t data_off, hdr_size, masks[4];
} bmp_hdr;

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int bad(const img_src *src, const char *why, char *err)
{
    vlm_set_err(err, "%s: invalid BMP: %s", src->label, why);
    return VLM_EFORMAT;
}

static void default_masks(bmp_hdr *h)
{
    static const uint32_t m16[4] = {0x7c00, 0x03e0, 0x001f, 0};
    static const uint32_t m32[4] = {0xff0000, 0xff00, 0xff, 0};
    memcpy(h->masks, h->bits == 16 ? m16 : m32, sizeof h->masks);
}

static int parse_header(const img_src *src, bmp_hdr *h, char *err)
{
    const uint8_t *b = src->bytes;
    memset(h, 0, sizeof *h);
    if (src->len < 26) return bad(src, "file too short", err);
    h->data_off = le32(b + 10);
    h->hdr_size = le32(b + 14);
    if (h->hdr_size == 12) {
        h->width = le16(b + 18);
        h->height = le16(b + 20);
        h->bits = le16(b + 24);
        h->pal_entry = 3;
    } else if (h->hdr_size >= 40 && src->len >= 14 + 40) {
        h->width = (int32_t)le32(b + 18);
        h->height = (int32_t)le32(b + 22);
        h->bits = le16(b + 28);
        h->compression = (int)le32(b + 30);
        h->colors = (int)le32(b + 46);
        h->pal_entry = 4;
    } else {
        return bad(src, "unknown header size", err);
    }
    h->top_down = h->height < 0;
    if (h->height < 0) h->height = -h->height;
    default_masks(h);
    if (h->compression == BI_BITFIELDS) {
        size_t at = 14 + 40, n = h->hdr_size >= 56 ? 4 : 3;
        if (src->len < at + 4 * n) return bad(src, "truncated bit masks", err);
        for (size_t i = 0; i < n; i++) h->masks[i] = le32(b + at + 4 * i);
    } else if (h->compression != BI_RGB) {
        vlm_set_err(err, "%s: compressed (RLE/JPEG/PNG) BMP is not supported",
                    src->label);
        return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

/* Pillow's unpackers scale a field to 8 bits as v * 255 / max. */
static uint8_t field(uint32_t px, uint32_t mask)
{
    if (!mask) return 0;
    int shift = __builtin_ctz(mask);
    uint32_t max = mask >> shift;
    return (uint8_t)(((px & mask) >> shift) * 255u / max);
}

static void unpack_direct(const bmp_hdr *h, const uint8_t *row, img_rgb *out,
                          int y)
{
    uint8_t *rgb = out->pixels + (size_t)y * out->width * 3;
    for (int x = 0; x < out->width; x++, rgb += 3) {
        if (h->bits == 24) {
            const uint8_t *p = row + 3 * x;
            rgb[0] = p[2];
            rgb[1] = p[1];
            rgb[2] = p[0];
            continue;
        }
        uint32_t px = h->bits == 16 ? le16(row + 2 * x) : le32(row + 4 * x);
        for (int c = 0; c < 3; c++) rgb[c] = field(px, h->masks[c]);
        if (out->alpha)
            out->alpha[(size_t)y * out->width + x] = field(px, h->masks[3]);
    }
}

static void unpack_indexed(const bmp_hdr *h, const img_palette *pal,
                           const uint8_t *row, img_rgb *out, int y)
{
    uint8_t *rgb = out->pixels + (size_t)y * out->width * 3;
    int per_byte = 8 / h->bits, mask = (1 << h->bits) - 1;
    for (int x = 0; x < out->width; x++) {
        int shift = 8 - h->bits * (x % per_byte + 1);
        memcpy(rgb + 3 * x, pal->rgb[(row[x / per_byte] >> shift) & mask], 3);
    }
}

static int load_palette(const img_src *src, bmp_hdr *h, img_palette *pal,
                        img_rgb *out, char *err)
{
    int max = 1 << h->bits;
    int count = h->colors > 0 && h->colors <= max ? h->colors : max;
    size_t at = 14 + (size_t)h->hdr_size;
    if (at + (size_t)count * h->pal_entry > src->len)
        return bad(src, "truncated palette", err);
    const uint8_t *bgr = src->bytes + at;
    uint8_t rgb[256 * 3];
    for (int i = 0; i < count; i++) {
        rgb[3 * i] = bgr[i * h->pal_entry + 2];
        rgb[3 * i + 1] = bgr[i * h->pal_entry + 1];
        rgb[3 * i + 2] = bgr[i * h->pal_entry];
    }
    img_palette_init(pal, rgb, count, 3);
    /* Pillow: gray palettes are "L" (bicubic), except 2 colours black/white
     * which are "1"; everything else "P".  Both "1" and "P" resize nearest. */
    int gray = count == 2 ? !memcmp(rgb, "\0\0\0\xff\xff\xff", 6)
                          : img_palette_is_identity_gray(rgb, count, 3);
    out->nearest = !gray || count == 2;
    return VLM_OK;
}

int img_decode_bmp(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    bmp_hdr h;
    int rc = parse_header(src, &h, err);
    if (rc) return rc;
    meta->width = (int)h.width;
    meta->height = (int)h.height;
    if (h.bits != 1 && h.bits != 4 && h.bits != 8 && h.bits != 16 &&
        h.bits != 24 && h.bits != 32)
        return bad(src, "unsupported bit depth", err);
    rc = img_check_size(src, h.width, h.height, err);
    if (rc) return rc;
    size_t stride = ((size_t)h.bits * h.width + 31) / 32 * 4;
    if (h.data_off > src->len || stride * h.height > src->len - h.data_off)
        return bad(src, "truncated pixel data", err);
    int alpha = h.bits == 32 && h.masks[3] != 0;
    rc = img_rgb_alloc(src, out, (int)h.width, (int)h.height, alpha, err);
    if (rc) return rc;
    img_palette pal;
    if (h.bits <= 8 && (rc = load_palette(src, &h, &pal, out, err))) return rc;
    for (int y = 0; y < out->height; y++) {
        int stored = h.top_down ? y : out->height - 1 - y;
        const uint8_t *row = src->bytes + h.data_off + stride * stored;
        if (h.bits <= 8)
            unpack_indexed(&h, &pal, row, out, y);
        else
            unpack_direct(&h, row, out, y);
    }
    return VLM_OK;
}
