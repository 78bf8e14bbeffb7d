/*
 * clip.h — a dual-encoder checkpoint folder (Hugging Face layout) as two
 * encoders into one embedding space.  config.json's "model_type" selects the
 * family, and with it the text tower, the vision pooling, the tokenizer, the
 * preprocessing and the scoring:
 *
 *   "clip"          CLIPModel: causal text tower pooled at the end token,
 *                   byte-level BPE (77 ids), shortest-edge resize + crop,
 *                   softmax over labels.
 *   "siglip"        SiglipModel: bidirectional text tower pooled at the last
 *                   of 64 positions + head, attention-pooled vision tower,
 *                   SentencePiece (spiece.model), square resize, mean/std
 *                   0.5, per-label sigmoid(scale * cos + bias).
 *   "chinese_clip"  ChineseCLIPModel: BERT text tower pooled at [CLS],
 *                   WordPiece (vocab.txt, 52 ids), CLIP vision tower, square
 *                   resize, softmax over labels.
 *
 *   clip_model *m;  char err[VLM_ERR_MAX];
 *   clip_options o = clip_options_default();  o.parts = CLIP_PART_TEXT;
 *   if (clip_model_load("path/to/ckpt", &o, &m, err)) fprintf(stderr, "%s\n", err);
 *   clip_encode_text(m, "red flowers", emb, err);
 *   clip_model_destroy(m);
 *
 * Only the parts asked for are loaded: a text-only load (what a search needs)
 * never touches the vision tower's pages.  Callers should ask the model
 * (clip_model_scoring, clip_text_context, clip_prep_params...) rather than
 * test the family name.
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
int clip_embed_dim(const clip_model *m);     /* embedding width E */
int clip_image_size(const clip_model *m);    /* vision input S */
float clip_logit_scale(const clip_model *m); /* exp(logit_scale) */
/* logit_bias of sigmoid families (SigLIP); 0 for softmax families. */
float clip_logit_bias(const clip_model *m);
const img_prep_params *clip_prep_params(const clip_model *m);
/* config.json model_type: "clip", "siglip" or "chinese_clip". */
const char *clip_model_family(const clip_model *m);
/* The family of the checkpoint folder `dir`, from its config.json alone
 * (nothing else is read): *family is the static model_type string. */
int clip_folder_family(const char *dir, const char **family, char *err);
/* The default zero-shot prompt, "{}" standing for the label, in the
 * language the text tower was trained on: "a photo of {}" (CLIP, SigLIP),
 * "{}的照片。" (Chinese-CLIP, cn_clip's first ImageNet template). */
const char *clip_prompt_template(const clip_model *m);

/* How image-text scores become probabilities. */
typedef enum clip_scoring {
    /* CLIP, Chinese-CLIP: softmax of scale * cos over a set of labels; one
     * label alone carries no probability. */
    CLIP_SCORE_SOFTMAX = 0,
    /* SigLIP: sigmoid(scale * cos + bias) per image-label pair, each on its
     * own (multi-label; meaningful with one label). */
    CLIP_SCORE_SIGMOID = 1,
} clip_scoring;
clip_scoring clip_model_scoring(const clip_model *m);
/* scale * cos + bias: the model's logit for one image-text cosine. */
float clip_logit(const clip_model *m, float cosine);
/* sigmoid(clip_logit(m, cosine)): the pair probability of sigmoid families
 * (for softmax families it is only a monotone transform of the cosine). */
float clip_pair_probability(const clip_model *m, float cosine);

/* Identity of the weights: hex digest of config.json and every byte of
 * every safetensors shard.  The shard digests are computed once per file
 * and cached (model/weights/weights_digest.h), so later loads only stat the
 * files. */
const char *clip_model_id(const clip_model *m);
/* The id earlier versions computed (config + safetensors headers + file
 * sizes, no tensor data), so stored collections can be recognised and
 * migrated. */
const char *clip_model_legacy_id(const clip_model *m);
/* 1 when every shard digest came from the cache (no weights were read). */
int clip_model_id_from_cache(const clip_model *m);
const char *clip_model_name(const clip_model *m); /* folder base name */
int clip_model_parts(const clip_model *m);        /* CLIP_PART_* loaded */
int clip_model_text_width(const clip_model *m);   /* text hidden_size */
int clip_model_vision_width(const clip_model *m); /* vision hidden_size */
/* Tokens of the vision tower's hidden states: 1 + (S/patch)^2 (CLS first),
 * or (S/patch)^2 for SigLIP (no CLS). */
int clip_model_vision_tokens(const clip_model *m);

/* Encoding calls on one model must not run concurrently (scratch state).
 *
 * Vision: pixels are N planar CHW images of S x S (img_preprocess output).
 * embeds: N x embed_dim, not normalised.  pooled (N x width: the
 * post_layernorm CLS, or SigLIP's attention-pooled output), hidden_last and
 * hidden_penultimate (N x tokens x width, before post_layernorm) are
 * optional (NULL to skip). */
int clip_encode_images(clip_model *m, const float *pixels, int n, float *embeds,
                       float *pooled, float *hidden_last,
                       float *hidden_penultimate, char *err);

/* Token ids per text row of the CLIP family. */
#define CLIP_TEXT_CONTEXT 77

/* Token ids per text row this model takes: 77 (CLIP), 64 (SigLIP), 52
 * (Chinese-CLIP). */
int clip_text_context(const clip_model *m);

/* Text from token ids: n rows of clip_text_context(m) ids, padded as the
 * family's tokenizer pads (clip_tokenize).  embeds: n x E, not normalised;
 * pooled: n x text width (optional; SigLIP: before its head). */
int clip_encode_text_ids(clip_model *m, const int32_t *ids, int n,
                         float *embeds, float *pooled, char *err);
/* The same, also giving the last text block's output for every position
 * (hidden: n x context x text width, optional).  Positions the tower does
 * not compute (after CLIP's end token, BERT padding) are zero. */
int clip_encode_text_ids_hidden(clip_model *m, const int32_t *ids, int n,
                                float *embeds, float *pooled, float *hidden,
                                char *err);

/* The family's tokenizer on one string: fills ids with
 * clip_text_context(m) ids, ready for clip_encode_text_ids.  The tokenizer
 * files live in opts.tokenizer_dir or the checkpoint folder (CLIP:
 * vocab.json + merges.txt; SigLIP: spiece.model; Chinese-CLIP: vocab.txt)
 * and are loaded on first use.  Returns the number of real tokens (special
 * tokens included), or a negative status. */
int clip_tokenize(clip_model *m, const char *text, int32_t *ids, char *err);

/* Tokenize + encode one string.  embed: E floats, not normalised. */
int clip_encode_text(clip_model *m, const char *text, float *embed, char *err);

/* n strings as one batch through the tower (the weights are read once for
 * all of them): embeds n x E, not normalised. */
int clip_encode_texts(clip_model *m, const char *const *texts, int n,
                      float *embeds, char *err);

/* In-place L2 normalisation helper. */
void clip_l2_normalize(float *v, int dim);

#endif
