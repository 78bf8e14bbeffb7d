/*
 * test_image_parity.c — every decodable file in photos/ and edge/ against
 * preprocess-224/expected_u8.safetensors (Pillow reference): within +-2 on at
 * least 99.5 % of values per image.  The worst case seen is printed.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/weights/safetensors.h"
#include "tests/image/image_fixture.h"

Test(image_parity, all_expected_images_match_pillow)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path("preprocess-224/expected_u8.safetensors", path, sizeof path);
    st_file *f = NULL;
    cr_assert_eq(st_file_open(path, &f, err), VLM_OK, "%s", err);
    static uint8_t got[IMG_N];
    diff_stats worst = {0, 0, 0};
    const char *worst_name = "-";
    int checked = 0;
    for (int i = 0; i < st_file_count(f); i++) {
        const st_tensor *t = st_file_tensor(f, i);
        cr_assert_eq(t->dtype, ST_U8, "%s: dtype", t->name);
        cr_assert_eq(t->numel, IMG_N, "%s: shape", t->name);
        cr_assert(image_fixture_find(t->name, path, sizeof path),
                  "no image file for key %s", t->name);
        decode_224(path, 0, got);
        diff_stats s = u8_diff(got, t->data, IMG_N);
        cr_expect(s.over2 <= 0.005,
                  "%s: %.4f%% of values off by more than 2 "
                  "(max %d)",
                  t->name, 100 * s.over2, s.max_abs);
        if (s.max_abs > worst.max_abs ||
            (s.max_abs == worst.max_abs && s.over2 > worst.over2)) {
            worst = s;
            worst_name = t->name;
        }
        checked++;
    }
    printf("image parity: %d images; worst %s: max abs diff %d, %.4f%% over 2, "
           "mean %.4f\n",
           checked, worst_name, worst.max_abs, 100 * worst.over2,
           worst.mean_abs);
    cr_assert_geq(checked, 40, "expected file lists only %d images", checked);
    st_file_close(f);
}
