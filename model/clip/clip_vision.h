/*
 * clip_vision.h — the CLIP ViT vision tower on its own, for any checkpoint
 * that embeds one under a tensor-name prefix:
 *   "vision_model."               CLIPModel (OpenAI / LAION), ChineseCLIPModel
 *   "vision_tower.vision_model."  LlavaForConditionalGeneration (llava-hf)
 *
 * Forward pass: patch conv (a GEMM over im2col) -> [CLS]+patches -> +positions
 * -> pre_layrnorm -> `layers` pre-norm encoder blocks -> (optionally)
 * post_layernorm on CLS.  Hidden states are the raw block outputs, CLS first,
 * exactly like HF's `hidden_states[i]`.
 *
 * The SigLIP layout (SiglipVisionTransformer) is the same tower without the
 * CLS token and pre_layrnorm, with a bias on the patch conv; its pooling (the
 * attention head, siglip_head.h) reads every token after post_layernorm
 * (clip_vision_post_norm).
 *
 *   // LLaVA, vision_feature_layer = -2: run all blocks but the last one,
 *   // then take the "last" output of this truncated tower, drop CLS.
 *   clip_tower_config vc;
 *   clip_vision_config_from_json(json_object_object_get(root, "vision_config"),
 *                                &vc, err);
 *   clip_vision_opts o = { .layers = vc.num_layers - 1, .post_layernorm = 0,
 *                          .precision = VLM_PREC_F32 };
 *   clip_vision *v;
 *   clip_vision_create(ckpt, "vision_tower.vision_model.", &vc, &o, &v, err);
 *   float *h = malloc(n * clip_vision_tokens(v) * vc.hidden_size * 4);
 *   clip_vision_forward(v, pixels, n, h, NULL, NULL, err);
 *   // h[img][tok][W]; tok 0 is CLS, tokens 1.. are the patches.
 *   clip_vision_destroy(v);
 *
 * The checkpoint must outlive the tower (F32 weights point into its mapping).
 * Threads: the caller's scope (model/core/threads.h).
 */
#ifndef VLM_CLIP_VISION_H
#define VLM_CLIP_VISION_H

#include "model/clip/clip_config.h"
#include "model/core/gemm.h"
#include "model/core/vlm_error.h"
#include "model/weights/safetensors.h"

typedef enum clip_vision_layout {
    CLIP_VISION_CLS = 0, /* CLIP: class token, pre_layrnorm, no conv bias */
    CLIP_VISION_SIGLIP,  /* SigLIP: patches only, conv bias, no pre-norm */
} clip_vision_layout;

typedef struct clip_vision_opts {
    int layers;         /* encoder blocks to load and run; 0 = all */
    int post_layernorm; /* load post_layernorm (pooled / post_norm output) */
    vlm_precision precision;
    clip_vision_layout layout;
} clip_vision_opts;

typedef struct clip_vision clip_vision;

/* Checks every tensor it needs (name + shape from cfg) and fails naming the
 * first one that is missing or has the wrong shape.  Only the first `layers`
 * blocks' tensors are required or touched. */
int clip_vision_create(const st_checkpoint *ck, const char *prefix,
                       const clip_tower_config *cfg,
                       const clip_vision_opts *opts, clip_vision **out,
                       char *err);
void clip_vision_destroy(clip_vision *v);

int clip_vision_tokens(const clip_vision *v); /* (1 +) (S/P)^2 */
int clip_vision_width(const clip_vision *v);  /* hidden_size */
int clip_vision_layers(const clip_vision *v); /* blocks actually run */

/* pixels: n planar CHW images of S x S floats (already normalised).
 * Outputs, each optional (NULL): hidden_last = output of the last block run
 * [n,T,W]; hidden_prev = output of the block before it [n,T,W] (with a
 * single block that is its input: the embeddings after pre_layrnorm, HF's
 * hidden_states[0]);
 * pooled = post_layernorm(CLS of hidden_last) [n,W] (needs
 * opts.post_layernorm and the CLS layout). */
int clip_vision_forward(clip_vision *v, const float *pixels, int n,
                        float *hidden_last, float *hidden_prev, float *pooled,
                        char *err);

/* out = post_layernorm(x) for `rows` rows of width W (out may equal x);
 * needs opts.post_layernorm. */
void clip_vision_post_norm(const clip_vision *v, const float *x, int rows,
                           float *out);

#endif
