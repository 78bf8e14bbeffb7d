/*
 * clip_model.c — a dual-encoder checkpoint folder: config, the family, the
 * parts asked for, projections, the generic encode paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_model_internal.h"
#include "model/clip/clip_tensors.h"

clip_options clip_options_default(void)
{
    clip_options o = {.parts = CLIP_PART_ALL,
                      .precision = VLM_PREC_F32,
                      .threads = 0,
                      .tokenizer_dir = NULL};
    return o;
}

static const clip_family *const FAMILIES[] = {
    [CLIP_FAMILY_CLIP] = &CLIP_FAMILY,
    [CLIP_FAMILY_SIGLIP] = &SIGLIP_FAMILY,
    [CLIP_FAMILY_CHINESE_CLIP] = &CHINESE_CLIP_FAMILY,
};

int clip_load_scalar(const st_checkpoint *ck, const char *name, float *out,
                     char *err)
{
    const st_tensor *t = st_checkpoint_find(ck, name);
    int64_t one = 1;
    int ndim = t && t->ndim == 1; /* SigLIP stores [1], CLIP a scalar */
    int rc = st_checkpoint_require(ck, name, ndim, &one, &t, err);
    return rc ? rc : st_tensor_to_f32(t, out, 1, err);
}

static int load_parts(clip_model *m, const clip_options *o, char *err)
{
    int rc = VLM_OK;
    if (o->parts & CLIP_PART_TEXT) rc = m->fam->load_text(m, o->precision, err);
    if (!rc && (o->parts & CLIP_PART_VISION))
        rc = m->fam->load_vision(m, o->precision, err);
    if (!rc) rc = clip_load_scalar(m->ck, "logit_scale", &m->logit_scale, err);
    if (!rc && m->fam->scoring == CLIP_SCORE_SIGMOID)
        rc = clip_load_scalar(m->ck, "logit_bias", &m->logit_bias, err);
    return rc;
}

static char *base_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && dir[s - 1] != '/') s--;
    return strndup(dir + s, n - s);
}

int clip_model_load(const char *dir, const clip_options *opts, clip_model **out,
                    char *err)
{
    *out = NULL;
    clip_options o = opts ? *opts : clip_options_default();
    if (!(o.parts & CLIP_PART_ALL)) {
        vlm_set_err(err, "clip_model_load: no parts requested");
        return VLM_EINVAL;
    }
    clip_model *m = calloc(1, sizeof *m);
    if (!m) return VLM_ENOMEM;
    m->parts = o.parts & CLIP_PART_ALL;
    m->threads = vlm_threads_resolve(o.threads);
    m->name = base_name(dir);
    m->tokenizer_dir = strdup(o.tokenizer_dir ? o.tokenizer_dir : dir);
    int rc = (m->name && m->tokenizer_dir) ? VLM_OK : VLM_ENOMEM;
    if (!rc) rc = clip_config_load(dir, &m->cfg, err);
    if (!rc) m->fam = FAMILIES[m->cfg.family];
    if (!rc) rc = st_checkpoint_open(dir, &m->ck, err);
    if (!rc) rc = load_parts(m, &o, err);
    if (!rc) rc = clip_model_compute_id(m, dir, err);
    if (rc) {
        clip_model_destroy(m);
        return rc;
    }
    *out = m;
    return VLM_OK;
}

void clip_model_destroy(clip_model *m)
{
    if (!m) return;
    if (m->tok) m->tok_destroy(m->tok);
    clip_text_destroy(m->text);
    bert_text_destroy(m->bert);
    clip_vision_destroy(m->vision);
    siglip_head_destroy(m->head);
    vlm_weight_destroy(m->text_proj);
    vlm_weight_destroy(m->vis_proj);
    free(m->text_proj_b);
    free(m->vis_proj_b);
    st_checkpoint_close(m->ck); /* after the weights that point into it */
    free(m->name);
    free(m->tokenizer_dir);
    free(m);
}

int clip_model_parts(const clip_model *m) { return m->parts; }
int clip_embed_dim(const clip_model *m) { return m->cfg.projection_dim; }
int clip_image_size(const clip_model *m) { return m->cfg.vision.image_size; }
float clip_logit_scale(const clip_model *m) { return expf(m->logit_scale); }
float clip_logit_bias(const clip_model *m) { return m->logit_bias; }
const img_prep_params *clip_prep_params(const clip_model *m)
{
    return &m->cfg.prep;
}
const char *clip_model_family(const clip_model *m) { return m->fam->name; }
clip_scoring clip_model_scoring(const clip_model *m) { return m->fam->scoring; }
const char *clip_prompt_template(const clip_model *m)
{
    return m->fam->prompt_template;
}

int clip_folder_family(const char *dir, const char **family, char *err)
{
    clip_config cfg;
    int rc = clip_config_load(dir, &cfg, err);
    *family = rc ? NULL : FAMILIES[cfg.family]->name;
    return rc;
}
float clip_logit(const clip_model *m, float cosine)
{
    return clip_logit_scale(m) * cosine + m->logit_bias;
}
float clip_pair_probability(const clip_model *m, float cosine)
{
    return 1.0f / (1.0f + expf(-clip_logit(m, cosine)));
}
int clip_text_context(const clip_model *m) { return m->cfg.text_context; }
const char *clip_model_id(const clip_model *m) { return m->id; }
const char *clip_model_legacy_id(const clip_model *m) { return m->legacy_id; }
int clip_model_id_from_cache(const clip_model *m) { return m->id_from_cache; }
const char *clip_model_name(const clip_model *m) { return m->name; }
int clip_model_text_width(const clip_model *m)
{
    return m->cfg.text.hidden_size;
}
int clip_model_vision_tokens(const clip_model *m)
{
    const clip_tower_config *v = &m->cfg.vision;
    int g = v->image_size / v->patch_size;
    return (m->cfg.family != CLIP_FAMILY_SIGLIP) + g * g;
}
int clip_model_vision_width(const clip_model *m)
{
    return m->cfg.vision.hidden_size;
}

/* ---- encoding --------------------------------------------------------- */
/* embeds = pooled . proj^T + bias, or pooled itself without a projection. */
static void project(const vlm_weight *proj, const float *bias,
                    const float *pooled, int n, int W, float *embeds)
{
    if (proj)
        vlm_linear(proj, bias, pooled, n, embeds);
    else
        memcpy(embeds, pooled, (size_t)n * W * sizeof(float));
}

int clip_encode_images(clip_model *m, const float *pixels, int n, float *embeds,
                       float *pooled, float *hidden_last,
                       float *hidden_penultimate, char *err)
{
    if (!m->vision) {
        vlm_set_err(err, "%s: the vision tower was not loaded", m->name);
        return VLM_EINVAL;
    }
    if (n <= 0) return n == 0 ? VLM_OK : VLM_EINVAL;
    int W = m->cfg.vision.hidden_size;
    float *pool = pooled ? pooled : malloc((size_t)n * W * sizeof(float));
    if (!pool) return VLM_ENOMEM;
    int prev = vlm_threads_enter(m->threads);
    int rc = m->fam->vision_forward(m, pixels, n, pool, hidden_last,
                                    hidden_penultimate, err);
    if (!rc && embeds) project(m->vis_proj, m->vis_proj_b, pool, n, W, embeds);
    vlm_threads_leave(prev);
    if (pool != pooled) free(pool);
    return rc;
}

int clip_encode_text_ids_hidden(clip_model *m, const int32_t *ids, int n,
                                float *embeds, float *pooled, float *hidden,
                                char *err)
{
    if (!m->text && !m->bert) {
        vlm_set_err(err, "%s: the text tower was not loaded", m->name);
        return VLM_EINVAL;
    }
    if (n <= 0) return n == 0 ? VLM_OK : VLM_EINVAL;
    int W = m->cfg.text.hidden_size;
    float *pool = pooled ? pooled : malloc((size_t)n * W * sizeof(float));
    if (!pool) return VLM_ENOMEM;
    int prev = vlm_threads_enter(m->threads);
    int rc = m->fam->text_forward(m, ids, n, pool, hidden, err);
    if (!rc && embeds)
        project(m->text_proj, m->text_proj_b, pool, n, W, embeds);
    vlm_threads_leave(prev);
    if (pool != pooled) free(pool);
    return rc;
}

int clip_encode_text_ids(clip_model *m, const int32_t *ids, int n,
                         float *embeds, float *pooled, char *err)
{
    return clip_encode_text_ids_hidden(m, ids, n, embeds, pooled, NULL, err);
}

void clip_l2_normalize(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++) s += (double)v[i] * v[i];
    if (s <= 0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < dim; i++) v[i] *= inv;
}
