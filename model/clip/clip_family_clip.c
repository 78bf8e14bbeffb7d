/*
 * clip_family_clip.c — "clip" (CLIPModel) and the CLIP vision side that
 * Chinese-CLIP shares: causal text tower pooled at the end token,
 * text_projection; ViT pooled at the post_layernorm CLS, visual_projection.
 */
#include "model/clip/clip_family_common.h"
#include "model/clip/clip_tensors.h"

int clip_family_load_cls_vision(clip_model *m, vlm_precision prec, char *err)
{
    const clip_config *c = &m->cfg;
    clip_vision_opts vo = {.layers = 0, .post_layernorm = 1, .precision = prec};
    int rc = clip_vision_create(m->ck, "vision_model.", &c->vision, &vo,
                                &m->vision, err);
    if (!rc)
        rc = clip_load_linear(m->ck, "visual_projection.", c->projection_dim,
                              c->vision.hidden_size, prec, &m->vis_proj, NULL,
                              err);
    return rc;
}

int clip_family_cls_vision_forward(clip_model *m, const float *pixels, int n,
                                   float *pooled, float *hidden_last,
                                   float *hidden_prev, char *err)
{
    return clip_vision_forward(m->vision, pixels, n, hidden_last, hidden_prev,
                               pooled, err);
}

int clip_family_load_text_projection(clip_model *m, vlm_precision prec,
                                     char *err)
{
    return clip_load_linear(m->ck, "text_projection.", m->cfg.projection_dim,
                            m->cfg.text.hidden_size, prec, &m->text_proj, NULL,
                            err);
}

static int load_text(clip_model *m, vlm_precision prec, char *err)
{
    int rc = clip_text_create(m->ck, "text_model.", &m->cfg.text,
                              CLIP_TEXT_POOL_EOS, prec, &m->text, err);
    return rc ? rc : clip_family_load_text_projection(m, prec, err);
}

static int text_forward(clip_model *m, const int32_t *ids, int n, float *pooled,
                        float *hidden, char *err)
{
    return clip_text_forward(m->text, ids, n, m->cfg.text_context, pooled,
                             hidden, err);
}

const clip_family CLIP_FAMILY = {
    .name = "clip",
    .scoring = CLIP_SCORE_SOFTMAX,
    .prompt_template = "a photo of {}",
    .load_text = load_text,
    .load_vision = clip_family_load_cls_vision,
    .text_forward = text_forward,
    .vision_forward = clip_family_cls_vision_forward,
};
