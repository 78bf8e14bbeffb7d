/*
 * test_clip_precision.c — the other precisions on the fixtures: packed fp32
 * keeps 1e-3 parity; bf16 embeddings (native, or emulated on CPUs without a
 * bf16 matmul) and int8 weights stay within cosine 0.999 of the reference.
 * Every precision
 * runs on every CPU.
 */
#include <criterion/criterion.h>

#include "tests/clip/clip_fixture.h"
#include "tests/clip/clip_parity_util.h"

static void compare(const char *fx, vlm_precision prec, double min_cos,
                    double max_abs)
{
    expect_precision_agreement(fx, prec, min_cos, max_abs);
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
