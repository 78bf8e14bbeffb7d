/*
 * clip_encoder.h — the stack of transformer blocks shared by every tower:
 * pre-norm blocks (HF's CLIPEncoder / SiglipEncoder: CLIP and SigLIP vision
 * and text towers)
 *
 *   x += out_proj(attention(layer_norm1(x)))
 *   x += fc2(act(fc1(layer_norm2(x))))
 *
 * and post-norm blocks (HF's BertEncoder: Chinese-CLIP's text tower)
 *
 *   x = layer_norm1(x + out_proj(attention(x)))
 *   x = layer_norm2(x + fc2(act(fc1(x))))
 *
 * Activations are packed sequences: rows of `hidden_size` floats, sequence s
 * occupying seq_len[s] consecutive rows, so texts of different lengths share
 * every GEMM.  Attention runs per (sequence, head) in OpenMP threads, over
 * the whole sequence (no padding mask: pass only real tokens), optionally
 * causal.
 */
#ifndef VLM_CLIP_ENCODER_H
#define VLM_CLIP_ENCODER_H

#include "model/clip/clip_config.h"
#include "model/core/gemm.h"
#include "model/weights/safetensors.h"

typedef struct clip_block {
    /* q/k/v separately (fp32: in place from the mapping), or stacked in one
     * [3W, W] qkv weight (packed precisions, which copy anyway) */
    vlm_weight *q, *k, *v, *qkv, *o, *fc1, *fc2;
    float *q_b, *k_b, *v_b, *qkv_b, *o_b, *fc1_b, *fc2_b;
    float *ln1_w, *ln1_b, *ln2_w, *ln2_b;
} clip_block;

/* Tensor names of one block, each relative to "<prefix><layers><i>.", and
 * where its norms sit. */
typedef struct clip_block_layout {
    const char *layers;                                /* "layers." */
    const char *q, *k, *v, *o, *fc1, *fc2, *ln1, *ln2; /* "self_attn.q_proj." */
    int post_norm;
} clip_block_layout;

extern const clip_block_layout CLIP_BLOCK_LAYOUT; /* CLIPEncoderLayer */
extern const clip_block_layout BERT_BLOCK_LAYOUT; /* BertLayer */

typedef struct clip_encoder {
    clip_tower_config cfg;
    int n_blocks, post_norm;
    clip_block *blocks;
} clip_encoder;

/* Loads blocks 0..n_blocks-1 from "<prefix><layers><i>." (prefix is e.g.
 * "vision_model.encoder."); clip_encoder_load uses CLIP_BLOCK_LAYOUT. */
int clip_encoder_load_layout(clip_encoder *e, const st_checkpoint *ck,
                             const char *prefix, const clip_block_layout *lay,
                             const clip_tower_config *cfg, int n_blocks,
                             vlm_precision prec, char *err);
int clip_encoder_load(clip_encoder *e, const st_checkpoint *ck,
                      const char *prefix, const clip_tower_config *cfg,
                      int n_blocks, vlm_precision prec, char *err);
void clip_encoder_free(clip_encoder *e);

/* Runs all blocks over x [sum(seq_len), W] in place.  If save_prev is not
 * NULL it receives the input of the last block (the penultimate hidden
 * state).  causal: each token attends only to itself and earlier tokens. */
int clip_encoder_forward(const clip_encoder *e, float *x, const int *seq_len,
                         int nseq, int causal, float *save_prev, char *err);

/* y[r] = LayerNorm(x[r]) * w + b for `rows` rows of n (y may equal x). */
void clip_layer_norm(const float *x, float *y, int rows, int n, const float *w,
                     const float *b, float eps);

#endif
