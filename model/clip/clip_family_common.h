/*
 * clip_family_common.h — pieces more than one family module uses: the CLIP
 * vision side (ViT with CLS pooling + visual_projection) and the text
 * projection, shared by "clip" and "chinese_clip".  Internal to model/clip.
 */
#ifndef VLM_CLIP_FAMILY_COMMON_H
#define VLM_CLIP_FAMILY_COMMON_H

#include "model/clip/clip_model_internal.h"

int clip_family_load_cls_vision(clip_model *m, vlm_precision prec, char *err);
/* text_projection.weight [E, text width], no bias ("clip", "chinese_clip"). */
int clip_family_load_text_projection(clip_model *m, vlm_precision prec,
                                     char *err);
int clip_family_cls_vision_forward(clip_model *m, const float *pixels, int n,
                                   float *pooled, float *hidden_last,
                                   float *hidden_prev, char *err);

#endif
