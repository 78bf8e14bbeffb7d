/*
 * clip_family_siglip.c — "siglip" (SiglipModel): a bidirectional text tower
 * pooled at the last position followed by text_model.head; a ViT without
 * CLS whose post_layernorm tokens are pooled by the attention head
 * (siglip_head.h).  No projections: the head outputs are the embeddings.
 */
#include <stdlib.h>

#include "model/clip/clip_family_common.h"
#include "model/clip/clip_tensors.h"

static int load_text(clip_model *m, vlm_precision prec, char *err)
{
    const clip_config *c = &m->cfg;
    int rc = clip_text_create(m->ck, "text_model.", &c->text,
                              CLIP_TEXT_POOL_LAST, prec, &m->text, err);
    if (!rc)
        rc = clip_load_linear(m->ck, "text_model.head.", c->projection_dim,
                              c->text.hidden_size, prec, &m->text_proj,
                              &m->text_proj_b, err);
    return rc;
}

static int text_forward(clip_model *m, const int32_t *ids, int n, float *pooled,
                        float *hidden, char *err)
{
    return clip_text_forward(m->text, ids, n, m->cfg.text_context, pooled,
                             hidden, err);
}

static int load_vision(clip_model *m, vlm_precision prec, char *err)
{
    const clip_config *c = &m->cfg;
    clip_vision_opts vo = {.layers = 0,
                           .post_layernorm = 1,
                           .precision = prec,
                           .layout = CLIP_VISION_SIGLIP};
    int rc = clip_vision_create(m->ck, "vision_model.", &c->vision, &vo,
                                &m->vision, err);
    if (!rc)
        rc = siglip_head_create(m->ck, "vision_model.head.", &c->vision, prec,
                                &m->head, err);
    return rc;
}

/* pooled = head(post_layernorm(last block output)). */
static int vision_forward(clip_model *m, const float *pixels, int n,
                          float *pooled, float *hidden_last, float *hidden_prev,
                          char *err)
{
    int T = clip_vision_tokens(m->vision), W = m->cfg.vision.hidden_size;
    size_t rows = (size_t)n * T;
    float *x = hidden_last ? hidden_last : malloc(rows * W * sizeof(float));
    float *ln = malloc(rows * W * sizeof(float));
    int rc = x && ln ? VLM_OK : VLM_ENOMEM;
    if (rc) vlm_set_err(err, "out of memory for %d images", n);
    if (!rc)
        rc = clip_vision_forward(m->vision, pixels, n, x, hidden_prev, NULL,
                                 err);
    if (!rc) {
        clip_vision_post_norm(m->vision, x, (int)rows, ln);
        rc = siglip_head_forward(m->head, ln, n, T, pooled, NULL, err);
    }
    if (x != hidden_last) free(x);
    free(ln);
    return rc;
}

const clip_family SIGLIP_FAMILY = {
    .name = "siglip",
    .scoring = CLIP_SCORE_SIGMOID,
    .prompt_template = "a photo of {}",
    .load_text = load_text,
    .load_vision = load_vision,
    .text_forward = text_forward,
    .vision_forward = vision_forward,
};
