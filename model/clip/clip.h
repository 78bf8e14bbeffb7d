/*
 * clip.h — a CLIPModel checkpoint folder (Hugging Face layout) as two
 * encoders into one embedding space.
 *
 *   clip_model *m;  char err[VLM_ERR_MAX];
 *   clip_options o = clip_options_default();  o.parts = CLIP_PART_TEXT;
 *   if (clip_model_load("path/to/ckpt", &o, &m, err)) fprintf(stderr, "%s\n", err);
 *   clip_encode_text(m, "red flowers", emb, err);
 *   clip_model_destroy(m);
 *
 * Only the parts asked for are loaded: a text-only load (what a search needs)
 * never touches the vision tower's pages.
 */
#ifndef VLM_CLIP_H
#define VLM_CLIP_H

#include <stdint.h>

#include "model/core/gemm.h"
#include "model/core/vlm_error.h"
#include "model/image/image.h"

enum {
    CLIP_PART_TEXT = 1,
    CLIP_PART_VISION = 2,
    CLIP_PART_ALL = 3
};

typedef struct clip_options {
    int parts;                 /* CLIP_PART_* */
    vlm_precision precision;   /* F32 (default: weights used in place),
                                F32_PACKED or BF16 (oneDNN, packed copies;
                                faster) */
    int threads;               /* this model's calls: 0 = all cores */
    const char *tokenizer_dir; /* NULL = the checkpoint folder itself */
} clip_options;

clip_options clip_options_default(void);

typedef struct clip_model clip_model;

int clip_model_load(const char *dir, const clip_options *opts, clip_model **out,
                    char *err);
void clip_model_destroy(clip_model *m);

/* Facts about the loaded model. */
int clip_embed_dim(const clip_model *m);     /* projection_dim */
int clip_image_size(const clip_model *m);    /* vision input S */
float clip_logit_scale(const clip_model *m); /* exp(logit_scale) */
const img_prep_params *clip_prep_params(const clip_model *m);
/* Stable identity of the weights: hex digest of config.json + safetensors
 * headers + file sizes (does not read tensor data). */
const char *clip_model_id(const clip_model *m);
const char *clip_model_name(const clip_model *m);  /* folder base name */
int clip_model_parts(const clip_model *m);         /* CLIP_PART_* loaded */
int clip_model_text_width(const clip_model *m);    /* text hidden_size */
int clip_model_vision_width(const clip_model *m);  /* vision hidden_size */
int clip_model_vision_tokens(const clip_model *m); /* 1 + (S/patch)^2 */

/* Encoding calls on one model must not run concurrently (scratch state).
 *
 * Vision: pixels are N planar CHW images of S x S (img_preprocess output).
 * embeds: N x embed_dim, not normalised.  pooled (N x width), hidden_last and
 * hidden_penultimate (N x tokens x width) are optional (NULL to skip). */
int clip_encode_images(clip_model *m, const float *pixels, int n, float *embeds,
                       float *pooled, float *hidden_last,
                       float *hidden_penultimate, char *err);

#define CLIP_TEXT_CONTEXT 77

/* Text from token ids: n rows of 77 ids (zero padded).  embeds: n x E, not
 * normalised; pooled: n x text width (optional). */
int clip_encode_text_ids(clip_model *m, const int32_t *ids, int n,
                         float *embeds, float *pooled, char *err);

/* Tokenize + encode one string (needs the tokenizer files: vocab.json and
 * merges.txt in opts.tokenizer_dir or the checkpoint folder; loaded on first
 * use).  embed: E floats, not normalised. */
int clip_encode_text(clip_model *m, const char *text, float *embed, char *err);

/* In-place L2 normalisation helper. */
void clip_l2_normalize(float *v, int dim);

#endif
