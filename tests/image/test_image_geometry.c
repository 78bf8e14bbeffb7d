/*
 * test_image_geometry.c — EXIF orientations, the JPEG DCT-scaling fast
 * path, extreme shapes (1x1, 2400x60) and the float normalisation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "tests/image/image_fixture.h"

/* Orientations 2-8 are the same photo re-encoded in rotated storage, so the
 * 224 outputs differ only by JPEG noise: measured mean |diff| 0.85-1.50,
 * 4.4-19 % of values over 2.  A missing or wrong transform gives mean
 * differences of tens. */
Test(image_orientation, all_eight_give_the_upright_image)
{
    char path[4096], rel[128];
    static uint8_t ref[IMG_N], got[IMG_N];
    fixture_path("images/edge/exif-orientation-1.jpg", path, sizeof path);
    decode_224(path, 0, ref);
    for (int o = 2; o <= 8; o++) {
        snprintf(rel, sizeof rel, "images/edge/exif-orientation-%d.jpg", o);
        fixture_path(rel, path, sizeof path);
        img_info info;
        img_rgb im;
        char err[VLM_ERR_MAX] = "";
        cr_assert_eq(img_decode_file(path, NULL, &im, &info, err), VLM_OK, "%s",
                     err);
        cr_expect_eq(info.orientation, o, "orientation tag of %s", rel);
        cr_expect_eq(im.width, 451, "%s: upright width %d", rel, im.width);
        cr_expect_eq(im.height, 300, "%s: upright height %d", rel, im.height);
        img_rgb_free(&im);
        decode_224(path, 0, got);
        diff_stats s = u8_diff(got, ref, IMG_N);
        cr_expect_lt(s.mean_abs, 2.5, "%s: mean |diff| %.3f vs orientation 1",
                     rel, s.mean_abs);
        cr_expect_lt(s.over2, 0.25, "%s: %.3f over 2", rel, s.over2);
    }
}

/* Measured on large-4000x3000.jpg against the exact full-size decode, both
 * taken to 224: with min_short_side 448 (DCT 1/4) max 1, mean 0.055; with
 * 224 (DCT 1/8) max 2, mean 0.16.  Bounds below leave a small margin. */
static void expect_fast_path(int min_short, int denom, int max_abs, double mean)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    static uint8_t exact[IMG_N], fast[IMG_N];
    fixture_path("images/edge/large-4000x3000.jpg", path, sizeof path);
    decode_224(path, 0, exact);
    decode_224(path, min_short, fast);
    img_decode_opts o = {0, min_short};
    img_rgb im;
    img_info info;
    cr_assert_eq(img_decode_file(path, &o, &im, &info, err), VLM_OK, "%s", err);
    cr_expect_eq(info.decoded_scale_denom, denom);
    cr_expect_eq(im.width, 4000 / denom);
    cr_expect_eq(info.width, 4000, "info keeps the stored size");
    img_rgb_free(&im);
    diff_stats s = u8_diff(fast, exact, IMG_N);
    printf("fast path min_short_side=%d (1/%d): max %d, mean %.4f, %.4f%% over "
           "2\n",
           min_short, denom, s.max_abs, s.mean_abs, 100 * s.over2);
    cr_expect_leq(s.max_abs, max_abs);
    cr_expect_leq(s.mean_abs, mean);
}

Test(image_fast_path, dct_quarter_scale_within_bound)
{
    expect_fast_path(448, 4, 2, 0.1);
}

Test(image_fast_path, dct_eighth_scale_within_bound)
{
    expect_fast_path(224, 8, 3, 0.25);
}

Test(image_fast_path, small_images_stay_exact)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path("images/photos/cat.jpg", path, sizeof path);
    img_decode_opts o = {0, 448};
    img_rgb im;
    img_info info;
    cr_assert_eq(img_decode_file(path, &o, &im, &info, err), VLM_OK, "%s", err);
    cr_expect_eq(info.decoded_scale_denom, 1);
    cr_expect_eq(im.width, 384);
    img_rgb_free(&im);
}

static void expect_shape(const char *rel, int w, int h)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path(rel, path, sizeof path);
    img_rgb im;
    cr_assert_eq(img_decode_file(path, NULL, &im, NULL, err), VLM_OK, "%s",
                 err);
    cr_expect_eq(im.width, w);
    cr_expect_eq(im.height, h);
    static uint8_t out[IMG_N];
    img_prep_params p = {IMG_S,     IMG_S,     IMG_S,     1,
                         {0, 0, 0}, {1, 1, 1}, 1.0f / 255, 0};
    cr_expect_eq(img_resize_crop_u8(&im, &p, out, err), VLM_OK, "%s", err);
    img_rgb_free(&im);
}

Test(image_shapes, one_pixel_and_panorama)
{
    expect_shape("images/edge/one-pixel.png", 1, 1);
    expect_shape("images/edge/panorama-2400x60.jpg", 2400, 60);
}

Test(image_shapes, one_pixel_upscales_to_a_flat_image)
{
    uint8_t px[3] = {10, 200, 77};
    img_rgb im = {1, 1, px, NULL, 0};
    static uint8_t out[IMG_N];
    char err[VLM_ERR_MAX];
    img_prep_params p = {IMG_S,     IMG_S,     IMG_S,     1,
                         {0, 0, 0}, {1, 1, 1}, 1.0f / 255, 0};
    cr_assert_eq(img_resize_crop_u8(&im, &p, out, err), VLM_OK);
    for (int i = 0; i < IMG_N; i++) cr_assert_eq(out[i], px[i % 3], "at %d", i);
}

Test(image_preprocess, float_output_is_normalised_u8)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path("images/photos/cat.jpg", path, sizeof path);
    img_rgb im;
    cr_assert_eq(img_decode_file(path, NULL, &im, NULL, err), VLM_OK, "%s",
                 err);
    img_prep_params p = {IMG_S,
                         IMG_S,
                         IMG_S,
                         1,
                         {0.48145466f, 0.4578275f, 0.40821073f},
                         {0.26862954f, 0.26130258f, 0.27577711f},
                         1.0f / 255, 0};
    static uint8_t u8[IMG_N];
    float *f = malloc(sizeof(float) * IMG_N);
    cr_assert_eq(img_resize_crop_u8(&im, &p, u8, err), VLM_OK);
    cr_assert_eq(img_preprocess(&im, &p, f, err), VLM_OK);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < IMG_S * IMG_S; i++) {
            float want = (u8[3 * i + c] / 255.0f - p.mean[c]) / p.std[c];
            cr_assert_float_eq(f[c * IMG_S * IMG_S + i], want, 1e-5);
        }
    free(f);
    img_rgb_free(&im);
}

Test(image_exif, datetime_original_is_read)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path("images/photos/tree.webp", path, sizeof path);
    img_rgb im;
    img_info info;
    cr_assert_eq(img_decode_file(path, NULL, &im, &info, err), VLM_OK, "%s",
                 err);
    cr_expect_str_eq(info.exif_datetime, "2022:02:19 14:48:13");
    cr_expect_eq(info.format, IMG_WEBP);
    img_rgb_free(&im);
}

/* A 1 x 100000 sliver resizes to 224 x 22400000 conceptually; only the crop
 * window may be computed (fast, small), and the result is still exact for
 * a constant column. */
Test(image_shapes, sliver_resizes_through_the_window_only)
{
    int h = 100000;
    uint8_t *px = malloc((size_t)h * 3);
    for (int i = 0; i < h * 3; i++) px[i] = (uint8_t)(40 + i % 3);
    img_rgb im = {1, h, px, NULL, 0};
    static uint8_t out[IMG_N];
    char err[VLM_ERR_MAX];
    img_prep_params p = {IMG_S,     IMG_S,     IMG_S,     1,
                         {0, 0, 0}, {1, 1, 1}, 1.0f / 255, 0};
    double t0 = now_seconds();
    cr_assert_eq(img_resize_crop_u8(&im, &p, out, err), VLM_OK, "%s", err);
    cr_expect_lt(now_seconds() - t0, 1.0);
    for (int i = 0; i < IMG_N; i++)
        cr_assert_eq(out[i], 40 + i % 3, "at %d", i);
    img_rgb im2 = {1, 1 << 20, px, NULL, 0}; /* long side 224 * 2^20: refused */
    cr_expect_eq(img_resize_crop_u8(&im2, &p, out, err), VLM_ETOOBIG);
    free(px);
}
