/*
 * test_clip_precision.c — the other precisions on the fixtures: packed fp32
 * keeps 1e-3 parity; bf16 embeddings (native, or emulated on CPUs without a
 * bf16 matmul) and int8 weights stay within cosine 0.999 of the reference.
 * Every precision
 * runs on every CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"

static void compare(const char *fx, vlm_precision prec, double min_cos,
                    double max_abs)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(fx, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_options o = clip_options_default();
    o.precision = prec;
    o.threads = 2;
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    int E = clip_embed_dim(m), S = clip_image_size(m);
    size_t npix, nids;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    float *iref = fixture_floats(ex, "image_embeds", NULL);
    float *tref = fixture_floats(ex, "text_embeds", NULL);
    int ni = (int)(npix / (3 * (size_t)S * S)),
        nt = (int)(nids / CLIP_TEXT_CONTEXT);
    float *ie = malloc((size_t)ni * E * 4), *te = malloc((size_t)nt * E * 4);
    cr_assert_eq(clip_encode_images(m, pix, ni, ie, NULL, NULL, NULL, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(m, ids, nt, te, NULL, err), VLM_OK, "%s",
                 err);
    double ci = min_row_cosine(ie, iref, ni, E),
           ct = min_row_cosine(te, tref, nt, E);
    double di = max_abs_diff(ie, iref, (size_t)ni * E),
           dt = max_abs_diff(te, tref, (size_t)nt * E);
    fprintf(stderr,
            "%s %s (%s): image cos >= %.6f (max abs %.3g), text cos >= %.6f "
            "(max abs %.3g)\n",
            fx,
            prec == VLM_PREC_BF16   ? "bf16"
            : prec == VLM_PREC_INT8 ? "int8"
                                    : "f32-packed",
            vlm_gemm_backend(prec), ci, di, ct, dt);
    cr_expect(ci >= min_cos && ct >= min_cos, "cosine %g / %g < %g", ci, ct,
              min_cos);
    cr_expect(di <= max_abs && dt <= max_abs, "max abs %g / %g > %g", di, dt,
              max_abs);
    free(pix);
    free(ids);
    free(iref);
    free(tref);
    free(ie);
    free(te);
    clip_model_destroy(m);
    st_file_close(ex);
}

Test(clip_precision, bf16_quickgelu)
{
    compare("clip-tiny-quickgelu-f32", VLM_PREC_BF16, 0.999, 1e9);
}
Test(clip_precision, bf16_gelu)
{
    compare("clip-tiny-gelu-f16", VLM_PREC_BF16, 0.999, 1e9);
}
/* int8 weights (per-row scale), fp32 math: the memory-bound text query's
 * option; both towers stay within cosine 0.999 of the reference. */
Test(clip_precision, int8_quickgelu)
{
    compare("clip-tiny-quickgelu-f32", VLM_PREC_INT8, 0.999, 1e9);
}
Test(clip_precision, int8_gelu)
{
    compare("clip-tiny-gelu-f16", VLM_PREC_INT8, 0.999, 1e9);
}
Test(clip_precision, packed_f32_quickgelu)
{
    compare("clip-tiny-quickgelu-f32", VLM_PREC_F32_PACKED, 0.999999, 1e-3);
}
Test(clip_precision, packed_f32_gelu)
{
    compare("clip-tiny-gelu-f16", VLM_PREC_F32_PACKED, 0.999999, 1e-3);
}
