/*
 * siglip_head.h — SigLIP's multi-head attention pooling ("MAP") head
 * (HF SiglipMultiheadAttentionPoolingHead): one learned probe token attends
 * over every post_layernorm vision token, then a residual MLP.
 *
 *   a = out_proj(MHA(q = probe, k = v = tokens))
 *   y = a + fc2(act(fc1(layernorm(a))))
 *
 * q, k and v come from one stacked in_proj_weight [3W, W] (rows: q, k, v)
 * and in_proj_bias [3W], as torch.nn.MultiheadAttention stores them.  The
 * head count, activation, MLP width and LayerNorm eps are the vision
 * tower's.  The checkpoint must outlive the head.
 */
#ifndef VLM_SIGLIP_HEAD_H
#define VLM_SIGLIP_HEAD_H

#include "model/clip/clip_config.h"
#include "model/weights/safetensors.h"

typedef struct siglip_head siglip_head;

/* Tensors under "<prefix>" (e.g. "vision_model.head."). */
int siglip_head_create(const st_checkpoint *ck, const char *prefix,
                       const clip_tower_config *vision, vlm_precision prec,
                       siglip_head **out, char *err);
void siglip_head_destroy(siglip_head *h);

/* tokens: n images x T tokens x W.  out: n x W.  attn (optional): the
 * attention output a, n x W. */
int siglip_head_forward(const siglip_head *h, const float *tokens, int n, int T,
                        float *out, float *attn, char *err);

#endif
