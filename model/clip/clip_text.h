/*
 * clip_text.h — the CLIP / SigLIP text tower (HF CLIPTextTransformer,
 * SiglipTextTransformer): token + position embeddings, pre-norm blocks,
 * final LayerNorm, one pooled position.
 *
 * CLIP: causal attention, pooled at the end token.  Only the prefix up to
 * the pooled token is computed: with a causal mask nothing after it can
 * change the result.
 * SigLIP: no causal mask and no padding mask, pooled at the last position:
 * every output depends on the whole padded row, so all of it is computed.
 */
#ifndef VLM_CLIP_TEXT_H
#define VLM_CLIP_TEXT_H

#include <stdint.h>

#include "model/clip/clip_config.h"
#include "model/weights/safetensors.h"

typedef struct clip_text clip_text;

typedef enum clip_text_pooling {
    CLIP_TEXT_POOL_EOS = 0, /* CLIP: causal, pooled at the end token */
    CLIP_TEXT_POOL_LAST,    /* SigLIP: bidirectional, pooled at ctx - 1 */
} clip_text_pooling;

/* Tensors under "<prefix>" (e.g. "text_model."). */
int clip_text_create(const st_checkpoint *ck, const char *prefix,
                     const clip_tower_config *cfg, clip_text_pooling pooling,
                     vlm_precision prec, clip_text **out, char *err);
void clip_text_destroy(clip_text *t);

/* Position whose hidden state is pooled: argmax of ids when eos_token_id is
 * the legacy 2, else the first eos_token_id (0 when absent), like HF. */
int clip_text_pool_index(const clip_tower_config *cfg, const int32_t *ids,
                         int ctx);

/* ids: n rows of ctx ids (ctx <= max_position_embeddings).
 * pooled: n x hidden_size, final-LayerNormed states at the pooled token.
 * hidden (optional, NULL to skip): n x ctx x hidden_size, the output of the
 * last block (before the final LayerNorm); rows that are not computed (after
 * the end token of a causal tower) are zero. */
int clip_text_forward(const clip_text *t, const int32_t *ids, int n, int ctx,
                      float *pooled, float *hidden, char *err);

#endif
