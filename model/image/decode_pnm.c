/*
 * decode_pnm.c — PBM/PGM/PPM (P1-P6), hand-written: the format is a short
 * text header plus raw or decimal samples, and libnetpbm would add a
 * dependency whose error handling calls exit().  Values follow Pillow 9:
 * maxval 255 is taken as is, any other maxval is scaled with
 * round(v / maxval * out_max) where out_max is 65535 for 16-bit gray (Pillow
 * mode "I", clipped at 255 when converted to RGB) and 255 otherwise.  PBM is
 * Pillow mode "1" (1 = black), resized with nearest neighbour.
 */
#include <math.h>
#include <string.h>

#include "model/image/image_internal.h"

typedef struct pnm_reader {
    const img_src *src;
    size_t pos;
} pnm_reader;

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Skips whitespace and '#' comments; returns 0 at end of data. */
static int skip_blank(pnm_reader *r)
{
    const uint8_t *b = r->src->bytes;
    while (r->pos < r->src->len) {
        if (b[r->pos] == '#')
            while (r->pos < r->src->len && b[r->pos] != '\n') r->pos++;
        else if (is_space(b[r->pos]))
            r->pos++;
        else
            return 1;
    }
    return 0;
}

/* One decimal number, or at most `max_digits` digits (1 for plain PBM,
 * whose samples may be written without separators). */
static int read_uint(pnm_reader *r, int max_digits, long long *v)
{
    if (!skip_blank(r)) return 0;
    const uint8_t *b = r->src->bytes;
    long long n = 0;
    int digits = 0;
    while (r->pos < r->src->len && b[r->pos] >= '0' && b[r->pos] <= '9' &&
           digits < max_digits) {
        n = n * 10 + (b[r->pos++] - '0');
        if (n > 0x7fffffff) return 0;
        digits++;
    }
    *v = n;
    return digits > 0;
}

typedef struct pnm_hdr {
    int kind;     /* 1..6 */
    int channels; /* 1 or 3 */
    long long w, h, maxval;
} pnm_hdr;

static uint8_t scale(long long v, const pnm_hdr *h)
{
    if (v > h->maxval) v = h->maxval;
    if (h->maxval == 255) return (uint8_t)v;
    double out_max = (h->channels == 1 && h->maxval > 255) ? 65535.0 : 255.0;
    double s = nearbyint((double)v / (double)h->maxval * out_max);
    return (uint8_t)(s > 255.0 ? 255.0 : s);
}

static int truncated(const img_src *src, char *err)
{
    vlm_set_err(err, "%s: truncated or malformed PNM pixel data", src->label);
    return VLM_EFORMAT;
}

static void put(img_rgb *out, size_t px, int ch, int channels, uint8_t v)
{
    if (channels == 1)
        memset(out->pixels + 3 * px, v, 3);
    else
        out->pixels[3 * px + ch] = v;
}

static int read_bits(pnm_reader *r, img_rgb *out, char *err)
{
    size_t stride = ((size_t)out->width + 7) / 8;
    if (r->src->len - r->pos < stride * out->height)
        return truncated(r->src, err);
    const uint8_t *b = r->src->bytes + r->pos;
    for (int y = 0; y < out->height; y++)
        for (int x = 0; x < out->width; x++) {
            int bit = b[y * stride + x / 8] >> (7 - x % 8) & 1;
            put(out, (size_t)y * out->width + x, 0, 1, bit ? 0 : 255);
        }
    return VLM_OK;
}

static int read_binary(pnm_reader *r, const pnm_hdr *h, img_rgb *out, char *err)
{
    size_t bytes = h->maxval > 255 ? 2 : 1;
    size_t n = (size_t)out->width * out->height * h->channels;
    if ((r->src->len - r->pos) / bytes < n) return truncated(r->src, err);
    const uint8_t *b = r->src->bytes + r->pos;
    for (size_t i = 0; i < n; i++) {
        long long v = bytes == 2 ? (b[2 * i] << 8 | b[2 * i + 1]) : b[i];
        put(out, i / h->channels, (int)(i % h->channels), h->channels,
            scale(v, h));
    }
    return VLM_OK;
}

static int read_ascii(pnm_reader *r, const pnm_hdr *h, img_rgb *out, char *err)
{
    size_t n = (size_t)out->width * out->height * h->channels;
    for (size_t i = 0; i < n; i++) {
        long long v;
        if (!read_uint(r, h->kind == 1 ? 1 : 10, &v))
            return truncated(r->src, err);
        uint8_t u = h->kind == 1 ? (v ? 0 : 255) : scale(v, h);
        put(out, i / h->channels, (int)(i % h->channels), h->channels, u);
    }
    return VLM_OK;
}

static int parse_header(pnm_reader *r, pnm_hdr *h, char *err)
{
    const img_src *src = r->src;
    h->kind = src->bytes[1] - '0';
    h->channels = (h->kind == 3 || h->kind == 6) ? 3 : 1;
    h->maxval = 1;
    r->pos = 2;
    int bilevel = h->kind == 1 || h->kind == 4;
    if (!read_uint(r, 10, &h->w) || !read_uint(r, 10, &h->h) ||
        (!bilevel && !read_uint(r, 10, &h->maxval))) {
        vlm_set_err(err, "%s: truncated PNM header", src->label);
        return VLM_EFORMAT;
    }
    if (h->maxval < 1 || h->maxval > 65535) {
        vlm_set_err(err, "%s: PNM maxval %lld out of range", src->label,
                    h->maxval);
        return VLM_EFORMAT;
    }
    /* Exactly one whitespace byte separates the header from binary data. */
    if (h->kind >= 4 && r->pos < src->len) r->pos++;
    return VLM_OK;
}

int img_decode_pnm(const img_src *src, img_rgb *out, img_meta *meta, char *err)
{
    pnm_reader r = {src, 0};
    pnm_hdr h;
    int rc = parse_header(&r, &h, err);
    if (rc) return rc;
    meta->width = (int)h.w;
    meta->height = (int)h.h;
    rc = img_rgb_alloc(src, out, (int)h.w, (int)h.h, 0, err);
    if (rc) return rc;
    out->nearest = h.kind == 1 || h.kind == 4;
    if (h.kind == 4) return read_bits(&r, out, err);
    if (h.kind >= 5) return read_binary(&r, &h, out, err);
    return read_ascii(&r, &h, out, err);
}
