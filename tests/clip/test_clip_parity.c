/*
 * test_clip_parity.c — both clip-tiny fixtures, fp32: every vision and text
 * output within 1e-3 (max abs) of the reference.
 */
#include <criterion/criterion.h>

#include "tests/clip/clip_fixture.h"
#include "tests/clip/clip_parity_util.h"

#define TOL 1e-3

static void vision(const char *fx)
{
    expect_vision_parity(fx, VLM_PREC_F32, "image_pooled", TOL);
}

static void text(const char *fx)
{
    expect_text_parity(fx, VLM_PREC_F32, NULL, NULL, TOL);
}

Test(clip_parity, vision_quickgelu_f32) { vision("clip-tiny-quickgelu-f32"); }
Test(clip_parity, vision_gelu_f16) { vision("clip-tiny-gelu-f16"); }
Test(clip_parity, text_quickgelu_f32) { text("clip-tiny-quickgelu-f32"); }
Test(clip_parity, text_gelu_f16) { text("clip-tiny-gelu-f16"); }
