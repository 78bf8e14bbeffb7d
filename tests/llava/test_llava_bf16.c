/* The bf16 path (precision = VLM_PREC_BF16): bf16 vision tower and
 * projector, bf16 one-token GEMVs.  No bf16 reference exists, so it is held
 * to the fp32 expectations with a bf16-sized tolerance (8 mantissa bits:
 * ~4e-3 per rounding, a few roundings deep). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "model/llava/llava.h"
#include "tests/llava/llava_fixture.h"

static llava_model *f32, *bf16;
static st_file *expected;

static llava_model *load(vlm_precision p)
{
    char err[VLM_ERR_MAX];
    llava_options o = {.precision = p, .threads = 2};
    llava_model *m;
    cr_assert_eq(llava_load(llava_fixture_dir(), &o, &m, err), VLM_OK, "%s",
                 err);
    return m;
}

static void setup(void)
{
    char err[VLM_ERR_MAX];
    f32 = load(VLM_PREC_F32);
    bf16 = load(VLM_PREC_BF16);
    cr_assert_eq(st_file_open(llava_fixture_path("expected.safetensors"),
                              &expected, err),
                 VLM_OK, "%s", err);
}

static void teardown(void)
{
    st_file_close(expected);
    llava_destroy(bf16);
    llava_destroy(f32);
}

TestSuite(llava_bf16, .init = setup, .fini = teardown, .timeout = 60);

static float *embeds_of(llava_model *m)
{
    char err[VLM_ERR_MAX];
    float *px = llava_expected_f32(expected, "pixel_values", NULL);
    float *e = malloc(sizeof(float) * 2 * 16 * 64);
    cr_assert_eq(llava_encode_pixels(m, px, 2, e, err), VLM_OK, "%s", err);
    free(px);
    return e;
}

Test(llava_bf16, logits_close_to_fp32_reference)
{
    char err[VLM_ERR_MAX];
    float *e = embeds_of(bf16);
    float *got = malloc(sizeof(float) * 8 * 32064);
    cr_assert_eq(llava_prompt_logits(bf16, e, NULL, 8, got, err), VLM_OK, "%s",
                 err);
    float *want =
        llava_expected_f32(expected, "prompt0_image0_logits_tail8", NULL);
    double d = llava_rel_diff(got, want, 8 * 32064);
    cr_log_info("bf16 tail8 logits: max rel diff %.2e", d);
    cr_assert_leq(d, 1.5e-2, "bf16 logits off by %g relative", d);
    free(want);
    free(got);
    free(e);
}

/* A two-token phrase runs its second token as a one-row step: the bf16
 * GEMV kernels. */
Test(llava_bf16, one_token_steps_close_to_fp32)
{
    char err[VLM_ERR_MAX];
    float *ef = embeds_of(f32), *eb = embeds_of(bf16);
    const char *phrases[] = {"a cat", "nodular lung shadow"};
    llava_phrase_score a[2], b[2];
    cr_assert_eq(llava_score_phrases_embeds(f32, ef, NULL, phrases, 2, a, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(llava_score_phrases_embeds(bf16, eb, NULL, phrases, 2, b, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(a[0].n_tokens, 2);
    for (int i = 0; i < 2; i++) {
        cr_log_info("%s: f32 %.5f bf16 %.5f", phrases[i], a[i].total,
                    b[i].total);
        cr_assert_leq(fabs(a[i].total - b[i].total), 3e-3 * fabs(a[i].total),
                      "%s: %g vs %g", phrases[i], a[i].total, b[i].total);
        llava_phrase_score_free(&a[i]);
        llava_phrase_score_free(&b[i]);
    }
    free(eb);
    free(ef);
}
