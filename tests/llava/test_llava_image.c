/* The image entry points (decoded RGB -> img_preprocess -> tower): the
 * fixture's pixel_values are cat.jpg / bee.jpg preprocessed by Pillow, so our
 * own decode + resize lands close to them (the image module's bound is +-2
 * per u8 pixel); caption/score through the RGB path must equal the same
 * computation from our own preprocessed pixels. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/llava/llava.h"
#include "tests/llava/llava_fixture.h"

static llava_model *model;
static img_rgb cat;

static void setup(void)
{
    const char *dir = llava_fixture_dir();
    char err[VLM_ERR_MAX], path[4096 + 64];
    cr_assert_eq(llava_load(dir, NULL, &model, err), VLM_OK, "%s", err);
    snprintf(path, sizeof path, "%s/../images/photos/cat.jpg", dir);
    cr_assert_eq(img_decode_file(path, NULL, &cat, NULL, err), VLM_OK, "%s",
                 err);
}

static void teardown(void)
{
    img_rgb_free(&cat);
    llava_destroy(model);
}

TestSuite(llava_image, .init = setup, .fini = teardown, .timeout = 60);

Test(llava_image, pixels_close_to_reference)
{
    char err[VLM_ERR_MAX];
    st_file *f;
    cr_assert_eq(
        st_file_open(llava_fixture_path("expected.safetensors"), &f, err),
        VLM_OK, "%s", err);
    float *want =
        llava_expected_f32(f, "pixel_values", NULL); /* image 0: cat */
    const int S = llava_image_size(model);
    float *px = malloc(sizeof(float) * 3 * S * S);
    cr_assert_eq(img_preprocess(&cat, llava_prep_params(model), px, err),
                 VLM_OK, "%s", err);
    /* 2.5/255 over the smallest std (0.2613): within +-2 levels and rounding */
    double worst = 0;
    for (int i = 0; i < 3 * S * S; i++)
        worst = fmax(worst, fabs(px[i] - want[i]));
    cr_assert_leq(worst, 2.5 / 255 / 0.2613, "pixel diff %g", worst);
    free(px);
    free(want);
    st_file_close(f);
}

Test(llava_image, caption_and_score_from_rgb)
{
    char err[VLM_ERR_MAX];
    const int S = llava_image_size(model);
    float *px = malloc(sizeof(float) * 3 * S * S);
    float *e = malloc(sizeof(float) * llava_image_tokens(model) *
                      llava_text_dim(model));
    cr_assert_eq(img_preprocess(&cat, llava_prep_params(model), px, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(llava_encode_pixels(model, px, 1, e, err), VLM_OK, "%s", err);

    llava_gen_opts g = llava_gen_opts_default();
    g.max_tokens = 6;
    char *a, *b;
    cr_assert_eq(llava_caption(model, &cat, NULL, &g, &a, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(llava_caption_embeds(model, e, NULL, &g, &b, err), VLM_OK,
                 "%s", err);
    cr_assert_str_eq(a, b);
    cr_assert_gt(strlen(a), 0);

    llava_phrase_score s1, s2;
    const char *phrase = "a black cat on a chair";
    cr_assert_eq(llava_score_phrase(model, &cat, NULL, phrase, &s1, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(
        llava_score_phrases_embeds(model, e, NULL, &phrase, 1, &s2, err),
        VLM_OK, "%s", err);
    cr_assert_eq(s1.n_tokens, 6);
    cr_assert_float_eq(s1.total, s2.total, 1e-9);
    cr_assert_lt(s1.total, 0);
    llava_phrase_score_free(&s1);
    llava_phrase_score_free(&s2);
    free(a);
    free(b);
    free(e);
    free(px);
}
