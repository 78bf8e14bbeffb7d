/*
 * clip_parity_util.h — the parity checks every family's fixture gets, over
 * the public clip.h API (expected.safetensors tensor names as the fixtures
 * README gives them).  Each prints its max abs differences and fails the
 * current test beyond the tolerance.
 */
#ifndef VLM_TEST_CLIP_PARITY_UTIL_H
#define VLM_TEST_CLIP_PARITY_UTIL_H

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "model/weights/safetensors.h"

/* Loads dir (2 threads, precision prec, parts); asserts success. */
clip_model *fixture_model(const char *dir, int parts, vlm_precision prec);

/* fx: a fixture folder name such as "siglip-tiny" (tests/clip/clip_fixture.h
 * finds it). */

/* pixel_values -> image_embeds, `pooled` (the tensor the pooled output is
 * compared with: "image_pooled", or "image_embeds" where there is no
 * projection), vision_hidden_last / _penultimate; all within tol. */
void expect_vision_parity(const char *fx, vlm_precision prec,
                          const char *pooled, double tol);

/* input_ids -> text_embeds, text_pooled and, when `hidden` names a tensor,
 * the last block's output (rows where `mask` is 0 are left out when `mask`
 * names one); also every third text encoded alone.  All within tol. */
void expect_text_parity(const char *fx, vlm_precision prec, const char *hidden,
                        const char *mask, double tol);

/* Both parities above (at tol, F32) on a temp copy of the fixture whose
 * float weights are stored as dtype (ST_F16 / ST_BF16,
 * tests/common/ckpt_convert.h). */
void expect_converted_parity(const char *fx, st_dtype dtype, const char *pooled,
                             const char *hidden, const char *mask, double tol);

/* clip_tokenize on the fixture's texts (its "texts" metadata) gives its
 * input_ids exactly, and clip_encode_text its text_embeds within tol. */
void expect_tokenizer_parity(const char *fx, double tol);

/* Image and text embeddings with precision prec against the reference:
 * smallest row cosine >= min_cos and max abs <= max_abs. */
void expect_precision_agreement(const char *fx, vlm_precision prec,
                                double min_cos, double max_abs);

/* The checks every model family's fixture gets beyond its F32 parity, as
 * the Criterion tests suite/f16_checkpoint and suite/bf16_checkpoint (the
 * same weights stored as F16 within 0.01, as BF16 within 0.05; pooled,
 * hidden, mask as for expect_converted_parity), suite/packed_f32 (oneDNN
 * packed fp32 with fused q|k|v keeps cosine 0.999999 and 1e-4) and
 * suite/bf16_precision (bf16 compute within cosine 0.999). */
#define FAMILY_PRECISION_TESTS(suite, fx, pooled, hidden, mask)              \
    Test(suite, f16_checkpoint)                                              \
    {                                                                        \
        expect_converted_parity(fx, ST_F16, pooled, hidden, mask, 0.01);     \
    }                                                                        \
    Test(suite, bf16_checkpoint)                                             \
    {                                                                        \
        expect_converted_parity(fx, ST_BF16, pooled, hidden, mask, 0.05);    \
    }                                                                        \
    Test(suite, packed_f32)                                                  \
    {                                                                        \
        expect_precision_agreement(fx, VLM_PREC_F32_PACKED, 0.999999, 1e-4); \
    }                                                                        \
    Test(suite, bf16_precision)                                              \
    {                                                                        \
        expect_precision_agreement(fx, VLM_PREC_BF16, 0.999, 1e9);           \
    }

#endif
