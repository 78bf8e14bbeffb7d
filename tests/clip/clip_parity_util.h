/*
 * clip_parity_util.h — the parity checks every family's fixture gets, over
 * the public clip.h API (expected.safetensors tensor names as the fixtures
 * README gives them).  Each prints its max abs differences and fails the
 * current test beyond the tolerance.
 */
#ifndef VLM_TEST_CLIP_PARITY_UTIL_H
#define VLM_TEST_CLIP_PARITY_UTIL_H

#include "model/clip/clip.h"
#include "model/weights/safetensors.h"

/* Loads dir (2 threads, precision prec, parts); asserts success. */
clip_model *fixture_model(const char *dir, int parts, vlm_precision prec);

/* pixel_values -> image_embeds, `pooled` (the tensor the pooled output is
 * compared with: "image_pooled", or "image_embeds" where there is no
 * projection), vision_hidden_last / _penultimate; all within tol. */
void expect_vision_parity(const char *fx, const char *dir, vlm_precision prec,
                          const char *pooled, double tol);

/* input_ids -> text_embeds, text_pooled and, when `hidden` names a tensor,
 * the last block's output (rows where `mask` is 0 are left out when `mask`
 * names one); also every third text encoded alone.  All within tol. */
void expect_text_parity(const char *fx, const char *dir, vlm_precision prec,
                        const char *hidden, const char *mask, double tol);

/* Both parities above (at tol) on a temp copy of dir whose float weights
 * are stored as dtype (ST_F16 / ST_BF16, tests/common/ckpt_convert.h). */
void expect_converted_parity(const char *fx, const char *dir, st_dtype dtype,
                             const char *pooled, const char *hidden,
                             const char *mask, double tol);

/* Image and text embeddings with precision prec against the reference:
 * smallest row cosine >= min_cos and max abs <= max_abs. */
void expect_precision_agreement(const char *fx, const char *dir,
                                vlm_precision prec, double min_cos,
                                double max_abs);

#endif
