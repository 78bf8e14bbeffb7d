/*
 * test_chinese_clip.c — the Chinese-CLIP family on
 * ../shared/fixtures/chinese-clip-tiny: vision (the CLIP tower), text (BERT,
 * [CLS] pooling), the WordPiece tokenizer through the model, the square
 * resize, and loading the same weights as F16 and BF16.  Within 1e-3, and
 * also 1e-4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"
#include "tests/clip/clip_parity_util.h"

#define FX  "chinese-clip-tiny"
#define CTX 52
#define E   24
#define TW  40
#define TOL 1e-4 /* also holds the 1e-3 */

Test(chinese_clip, facts)
{
    char dir[4096];
    fixture_dir(FX, dir, sizeof dir);
    clip_model *m = fixture_model(dir, CLIP_PART_ALL, VLM_PREC_F32);
    cr_expect_str_eq(clip_model_family(m), "chinese_clip");
    cr_expect_eq(clip_model_scoring(m), CLIP_SCORE_SOFTMAX);
    cr_expect_eq(clip_text_context(m), CTX);
    cr_expect_eq(clip_embed_dim(m), E);
    cr_expect_eq(clip_model_text_width(m), TW);
    cr_expect_eq(clip_model_vision_tokens(m), 10);
    cr_expect_float_eq(clip_logit_bias(m), 0.0f, 0);
    const img_prep_params *p = clip_prep_params(m);
    cr_expect_eq(p->do_center_crop, 0); /* squashed to 48 x 48 */
    cr_expect_eq(p->crop_w, 48);
    cr_expect_eq(p->crop_h, 48);
    cr_expect_eq(p->convert_rgb_first, 0);
    cr_expect_float_eq(p->mean[0], 0.48145466f, 1e-7);
    clip_model_destroy(m);
}

Test(chinese_clip, vision_parity)
{
    expect_vision_parity(FX, VLM_PREC_F32, "image_pooled", TOL);
}

Test(chinese_clip, text_parity)
{
    expect_text_parity(FX, VLM_PREC_F32, "text_hidden_last", "attention_mask",
                       TOL);
}

/* Padding inside the text would be masked by the reference: refused. */
Test(chinese_clip, padding_inside_text_refused)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    clip_model *m = fixture_model(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    int32_t ids[CTX] = {101, 4810, 0, 5709, 102};
    float e[E];
    cr_expect_eq(clip_encode_text_ids(m, ids, 1, e, NULL, err), VLM_EINVAL);
    cr_expect(strstr(err, "position 2") != NULL, "%s", err);
    ids[2] = 30000; /* outside the 21128 ids */
    cr_expect_eq(clip_encode_text_ids(m, ids, 1, e, NULL, err), VLM_EINVAL);
    cr_expect(strstr(err, "30000") != NULL, "%s", err);
    clip_model_destroy(m);
}

Test(chinese_clip, tokenize_and_encode_strings)
{
    expect_tokenizer_parity(FX, 1e-4);
}

/* The photos squashed to 48 x 48 (photos_u8) and normalised
 * (pixel_values 2 and 3). */
Test(chinese_clip, preprocessing)
{
    char dir[4096], path[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = fixture_model(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    const img_prep_params *p = clip_prep_params(m);
    int32_t *u8 = fixture_ints(ex, "photos_u8", NULL);
    float *px = fixture_floats(ex, "pixel_values", NULL);
    const char *photos[2] = {"cat.jpg", "coffee.png"};
    size_t plane = 48 * 48;
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/images/photos/%s",
                 getenv("VLM_FIXTURES"), photos[k]);
        img_rgb im;
        cr_assert_eq(img_decode_file(path, NULL, &im, NULL, err), VLM_OK, "%s",
                     err);
        uint8_t got[48 * 48 * 3], want[48 * 48 * 3];
        float f[48 * 48 * 3], norm[3 * 48 * 48];
        cr_assert_eq(img_resize_crop_u8(&im, p, got, err), VLM_OK, "%s", err);
        for (size_t i = 0; i < 3 * plane; i++) {
            f[i] = got[i];
            want[i] = (uint8_t)u8[(size_t)k * 3 * plane + i];
        }
        double frac = within_two_levels(f, want, 3 * plane);
        fprintf(stderr, "%s %s: %.4f of values within +-2\n", FX, photos[k],
                frac);
        cr_expect(frac >= 0.995, "%s: only %.4f within +-2", photos[k], frac);
        cr_assert_eq(img_preprocess(&im, p, norm, err), VLM_OK, "%s", err);
        expect_close(FX, "pixel_values (photo)", norm,
                     px + (size_t)(2 + k) * 3 * plane, 3 * plane,
                     2.5 / 255 / 0.26);
        img_rgb_free(&im);
    }
    free(u8);
    free(px);
    clip_model_destroy(m);
    st_file_close(ex);
}

/* F16 / BF16 checkpoints, packed fp32 and bf16 compute, at the tolerances
 * every family gets (tests/clip/clip_parity_util.h). */
FAMILY_PRECISION_TESTS(chinese_clip, FX, "image_pooled", "text_hidden_last",
                       "attention_mask")
