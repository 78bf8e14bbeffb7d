/*
 * bert_text.h — Chinese-CLIP's text tower (HF ChineseCLIPTextModel, a BERT /
 * RoBERTa-wwm encoder): word + token-type 0 + position embeddings, their
 * LayerNorm, post-norm blocks (clip_encoder.h, BERT_BLOCK_LAYOUT) with exact
 * GELU, pooled at position 0 ([CLS]) with no dense/tanh pooler.
 *
 * Padding ([PAD] = id 0) is masked out of attention in the reference; here
 * each row is cut at its last non-zero id instead, which gives the same
 * outputs for every real position (and is cheaper).  A 0 before the last
 * non-zero id would be masked by the reference but not here, so it is
 * refused.
 */
#ifndef VLM_BERT_TEXT_H
#define VLM_BERT_TEXT_H

#include <stdint.h>

#include "model/clip/clip_config.h"
#include "model/weights/safetensors.h"

typedef struct bert_text bert_text;

/* Tensors under "<prefix>" (e.g. "text_model."). */
int bert_text_create(const st_checkpoint *ck, const char *prefix,
                     const clip_tower_config *cfg, vlm_precision prec,
                     bert_text **out, char *err);
void bert_text_destroy(bert_text *t);

/* ids: n rows of ctx ids, zero-padded (ctx <= max_position_embeddings).
 * pooled: n x hidden_size, the last block's output at [CLS].
 * hidden (optional): n x ctx x hidden_size, the last block's output; rows
 * of padding are zero. */
int bert_text_forward(const bert_text *t, const int32_t *ids, int n, int ctx,
                      float *pooled, float *hidden, char *err);

#endif
