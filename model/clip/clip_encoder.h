/*
 * clip_encoder.h — the stack of pre-norm transformer blocks shared by the
 * CLIP vision and text towers (HF's CLIPEncoder):
 *
 *   x += out_proj(attention(layer_norm1(x)))
 *   x += fc2(act(fc1(layer_norm2(x))))
 *
 * Activations are packed sequences: rows of `hidden_size` floats, sequence s
 * occupying seq_len[s] consecutive rows, so texts of different lengths share
 * every GEMM.  Attention runs per (sequence, head) in OpenMP threads.
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

typedef struct clip_encoder {
    clip_tower_config cfg;
    int n_blocks;
    clip_block *blocks;
} clip_encoder;

/* Loads blocks 0..n_blocks-1 from "<prefix>layers.<i>." (prefix is e.g.
 * "vision_model.encoder."). */
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
