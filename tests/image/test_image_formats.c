/*
 * test_image_formats.c — the hand-written BMP and PNM decoders on synthetic
 * in-memory files covering layouts the photo fixtures do not (ASCII PNM,
 * maxval != 255, 16-bit samples, BMP palettes, 16-bit, bitfields with alpha,
 * top-down rows).  Expected pixels were checked against Pillow 9.4's
 * open(...).convert("RGB").
 */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tests/image/image_fixture.h"

static img_rgb decode_ok(const void *bytes, size_t len)
{
    img_rgb im;
    char err[VLM_ERR_MAX] = "";
    int rc = img_decode_memory(bytes, len, "synthetic", NULL, &im, NULL, err);
    cr_assert_eq(rc, VLM_OK, "%s", err);
    return im;
}

static void expect_pixels(const char *what, const void *bytes, size_t len,
                          int w, int h, const uint8_t *rgb, int nearest)
{
    img_rgb im = decode_ok(bytes, len);
    cr_expect_eq(im.width, w, "%s width", what);
    cr_expect_eq(im.height, h, "%s height", what);
    cr_expect_eq(im.nearest, nearest, "%s nearest flag", what);
    cr_expect_arr_eq(im.pixels, rgb, (size_t)w * h * 3, "%s pixels", what);
    img_rgb_free(&im);
}

#define PNM(s) s, sizeof(s) - 1

Test(image_pnm, ascii_and_scaled_variants)
{
    expect_pixels("P2 maxval 15", PNM("P2\n# comment\n3 1\n15\n0 7 15\n"), 3, 1,
                  (uint8_t[]){0, 0, 0, 119, 119, 119, 255, 255, 255}, 0);
    expect_pixels("P3", PNM("P3 2 1 255 1 2 3 4 5 6\n"), 2, 1,
                  (uint8_t[]){1, 2, 3, 4, 5, 6}, 0);
    expect_pixels("P1 packed digits", PNM("P1\n3 1\n101\n"), 3, 1,
                  (uint8_t[]){0, 0, 0, 255, 255, 255, 0, 0, 0}, 1);
    /* 16-bit gray is Pillow "I": scaled to 0..65535, clipped at 255. */
    expect_pixels("P5 16-bit", PNM("P5 2 1 65535\n\x00\x80\xff\xff"), 2, 1,
                  (uint8_t[]){128, 128, 128, 255, 255, 255}, 0);
    expect_pixels("P6 16-bit", PNM("P6 1 1 65535\n\x80\x00\x00\x00\xff\xff"), 1,
                  1, (uint8_t[]){128, 0, 255}, 0);
}

Test(image_pnm, truncated_data_fails)
{
    char err[VLM_ERR_MAX] = "";
    img_rgb im;
    cr_expect_eq(img_decode_memory(PNM("P6 4 4 255\n\x01\x02"), "t.ppm", NULL,
                                   &im, NULL, err),
                 VLM_EFORMAT);
    cr_expect(strstr(err, "t.ppm"), "%s", err);
    cr_expect_eq(
        img_decode_memory(PNM("P2 2 2 255 1 2"), "t.pgm", NULL, &im, NULL, err),
        VLM_EFORMAT);
    cr_expect_eq(
        img_decode_memory(PNM("P5 2 2 70000\n"), "t.pgm", NULL, &im, NULL, err),
        VLM_EFORMAT);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* BITMAPINFOHEADER-family file: header of hdr bytes, then palette, pixels. */
static size_t make_bmp(uint8_t *buf, int w, int h, int bits, int comp,
                       const uint32_t *masks, int hdr, const uint8_t *pal,
                       size_t pal_len, const uint8_t *px, size_t px_len)
{
    size_t off = 14 + hdr + pal_len;
    memset(buf, 0, off + px_len);
    buf[0] = 'B';
    buf[1] = 'M';
    put32(buf + 2, (uint32_t)(off + px_len));
    put32(buf + 10, (uint32_t)off);
    put32(buf + 14, (uint32_t)hdr);
    put32(buf + 18, (uint32_t)w);
    put32(buf + 22, (uint32_t)h);
    buf[26] = 1;
    buf[28] = (uint8_t)bits;
    put32(buf + 30, (uint32_t)comp);
    for (int i = 0; masks && i < 4; i++) put32(buf + 54 + 4 * i, masks[i]);
    if (pal_len) memcpy(buf + 14 + hdr, pal, pal_len);
    memcpy(buf + off, px, px_len);
    return off + px_len;
}

Test(image_bmp, palettes_masks_and_row_order)
{
    uint8_t buf[512];
    size_t n;
    n = make_bmp(buf, 2, 1, 1, 0, NULL, 40,
                 (uint8_t[]){0, 0, 0, 0, 255, 255, 255, 0}, 8,
                 (uint8_t[]){0x80, 0, 0, 0}, 4);
    expect_pixels("1-bit black/white (Pillow '1')", buf, n, 2, 1,
                  (uint8_t[]){255, 255, 255, 0, 0, 0}, 1);
    n = make_bmp(buf, 2, 1, 1, 0, NULL, 40,
                 (uint8_t[]){0x10, 0x20, 0x30, 0, 0x40, 0x50, 0x60, 0}, 8,
                 (uint8_t[]){0x80, 0, 0, 0}, 4);
    expect_pixels("1-bit colour palette (Pillow 'P')", buf, n, 2, 1,
                  (uint8_t[]){96, 80, 64, 48, 32, 16}, 1);
    n = make_bmp(buf, 2, 1, 16, 0, NULL, 40, NULL, 0,
                 (uint8_t[]){0xff, 0x7f, 0x21, 0x04}, 4);
    expect_pixels("16-bit 555", buf, n, 2, 1,
                  (uint8_t[]){255, 255, 255, 8, 8, 8}, 0);
    n = make_bmp(buf, 1, -2, 24, 0, NULL, 40, NULL, 0,
                 (uint8_t[]){1, 2, 3, 0, 4, 5, 6, 0}, 8);
    expect_pixels("24-bit top-down", buf, n, 1, 2,
                  (uint8_t[]){3, 2, 1, 6, 5, 4}, 0);
    n = make_bmp(buf, 1, 1, 32, 3,
                 (uint32_t[]){0xff0000, 0xff00, 0xff, 0xff000000u}, 108, NULL,
                 0, (uint8_t[]){10, 20, 30, 128}, 4);
    img_rgb im = decode_ok(buf, n);
    cr_expect_arr_eq(im.pixels, ((uint8_t[]){30, 20, 10}), 3);
    cr_assert_not_null(im.alpha, "bitfield alpha mask gives an alpha plane");
    cr_expect_eq(im.alpha[0], 128);
    img_rgb_free(&im);
}

Test(image_bmp, truncated_and_rle_fail)
{
    uint8_t buf[512];
    char err[VLM_ERR_MAX] = "";
    img_rgb im;
    size_t n =
        make_bmp(buf, 4, 4, 24, 0, NULL, 40, NULL, 0, (uint8_t[]){1, 2, 3}, 3);
    cr_expect_eq(img_decode_memory(buf, n, "t.bmp", NULL, &im, NULL, err),
                 VLM_EFORMAT);
    cr_expect(strstr(err, "t.bmp: invalid BMP: truncated"), "%s", err);
    n = make_bmp(buf, 1, 1, 8, 1, NULL, 40, (uint8_t[4]){0}, 4,
                 (uint8_t[]){0, 1, 0, 0}, 4);
    cr_expect_eq(img_decode_memory(buf, n, "r.bmp", NULL, &im, NULL, err),
                 VLM_EUNSUPPORTED);
}
