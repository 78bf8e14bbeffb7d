/*
 * clip_family_chinese.c — "chinese_clip" (ChineseCLIPModel): a BERT text
 * tower pooled at [CLS] with text_projection, and CLIP's vision side.
 */
#include "model/clip/clip_family_common.h"
#include "model/clip/clip_tensors.h"

static int load_text(clip_model *m, vlm_precision prec, char *err)
{
    const clip_config *c = &m->cfg;
    int rc =
        bert_text_create(m->ck, "text_model.", &c->text, prec, &m->bert, err);
    if (!rc)
        rc = clip_load_linear(m->ck, "text_projection.", c->projection_dim,
                              c->text.hidden_size, prec, &m->text_proj, NULL,
                              err);
    return rc;
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
    .load_text = load_text,
    .load_vision = clip_family_load_cls_vision,
    .text_forward = text_forward,
    .vision_forward = clip_family_cls_vision_forward,
};
