/*
 * clip_family_chinese.c — "chinese_clip" (ChineseCLIPModel): a BERT text
 * tower pooled at [CLS] with text_projection, and CLIP's vision side.
 */
#include "model/clip/clip_family_common.h"

static int load_text(clip_model *m, vlm_precision prec, char *err)
{
    int rc = bert_text_create(m->ck, "text_model.", &m->cfg.text, prec,
                              &m->bert, err);
    return rc ? rc : clip_family_load_text_projection(m, prec, err);
}

static int text_forward(clip_model *m, const int32_t *ids, int n, float *pooled,
                        float *hidden, char *err)
{
    return bert_text_forward(m->bert, ids, n, m->cfg.text_context, pooled,
                             hidden, err);
}

const clip_family CHINESE_CLIP_FAMILY = {
    .name = "chinese_clip",
    .scoring = CLIP_SCORE_SOFTMAX,
    .prompt_template = "{}的照片。",
    .load_text = load_text,
    .load_vision = clip_family_load_cls_vision,
    .text_forward = text_forward,
    .vision_forward = clip_family_cls_vision_forward,
};
