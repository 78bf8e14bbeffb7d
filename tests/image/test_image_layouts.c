/*
 * test_image_layouts.c — parity on tests/image/data: small synthetic images
 * in layouts the shared fixtures lack (WebP alpha, TIFF orientation/palette/
 * bilevel/LZW, 16-bit and interlaced PNG, LA, 1-bit, palette+tRNS, PNG eXIf
 * orientation, GIF transparency, BMP palettes), against Pillow's result
 * stored in data/expected.safetensors (made by
 * bench/image/make_extra_images.py, S = 32).  Same tolerance as the photo
 * parity: +-2 on at least 99.5 % of values.
 */
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "model/weights/safetensors.h"
#include "tests/image/image_fixture.h"

#define SMALL 32

static void data_path(const char *name, char *buf, size_t cap)
{
    const char *src = getenv("VLM_SOURCE_DIR");
    if (!src) cr_skip_test("VLM_SOURCE_DIR is not set");
    snprintf(buf, cap, "%s/tests/image/data/%s", src, name);
}

static void decode_small(const char *path, uint8_t *out)
{
    img_rgb im;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(img_decode_file(path, NULL, &im, NULL, err), VLM_OK, "%s",
                 err);
    img_prep_params p = {SMALL,     SMALL,     SMALL,     1,
                         {0, 0, 0}, {1, 1, 1}, 1.0f / 255, 0};
    int rc = img_resize_crop_u8(&im, &p, out, err);
    img_rgb_free(&im);
    cr_assert_eq(rc, VLM_OK, "%s: %s", path, err);
}

Test(image_layouts, synthetic_layouts_match_pillow)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    data_path("expected.safetensors", path, sizeof path);
    st_file *f = NULL;
    cr_assert_eq(st_file_open(path, &f, err), VLM_OK, "%s", err);
    uint8_t got[SMALL * SMALL * 3];
    int checked = 0;
    for (int i = 0; i < st_file_count(f); i++) {
        const st_tensor *t = st_file_tensor(f, i);
        cr_assert_eq(t->numel, SMALL * SMALL * 3, "%s: shape", t->name);
        data_path(t->name, path, sizeof path);
        decode_small(path, got);
        diff_stats s = u8_diff(got, t->data, sizeof got);
        printf("layout %-20s max %3d  over2 %.4f\n", t->name, s.max_abs,
               s.over2);
        cr_expect(s.over2 <= 0.005,
                  "%s: %.2f%% of values off by more than 2 "
                  "(max %d)",
                  t->name, 100 * s.over2, s.max_abs);
        checked++;
    }
    cr_assert_geq(checked, 18);
    st_file_close(f);
}
