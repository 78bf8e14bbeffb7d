/*
 * clip_vision.c — CLIP / SigLIP ViT: patches -> tokens -> encoder (-> pooled
 * CLS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_encoder.h"
#include "model/clip/clip_tensors.h"
#include "model/clip/clip_vision.h"

struct clip_vision {
    clip_tower_config cfg;
    int grid, tokens, post_ln, cls; /* cls: tokens start with a class token */
    vlm_weight *patch;              /* conv kernel as [W, C*P*P] */
    float *patch_b;                 /* [W] (SigLIP) */
    float *class_emb;               /* [W] (CLIP) */
    float *pos;                     /* [T, W] */
    float *pre_w, *pre_b, *post_w, *post_b;
    clip_encoder enc;
};

static int load_embeddings(clip_vision *v, const st_checkpoint *ck,
                           const char *prefix, vlm_precision prec, char *err)
{
    const clip_tower_config *c = &v->cfg;
    char name[512];
    int rc;
    const st_tensor *t;
    int64_t conv[4] = {c->hidden_size, c->num_channels, c->patch_size,
                       c->patch_size};
    snprintf(name, sizeof name, "%sembeddings.patch_embedding.weight", prefix);
    rc = st_checkpoint_require(ck, name, 4, conv, &t, err);
    if (!rc) rc = vlm_weight_create(t, prec, &v->patch, err);
    if (rc) return rc;
    if (!v->cls) {
        snprintf(name, sizeof name, "%sembeddings.patch_embedding.bias",
                 prefix);
        if ((rc = clip_load_vec(ck, name, c->hidden_size, &v->patch_b, err)))
            return rc;
    } else {
        snprintf(name, sizeof name, "%sembeddings.class_embedding", prefix);
        if ((rc = clip_load_vec(ck, name, c->hidden_size, &v->class_emb, err)))
            return rc;
    }
    int64_t pos[2] = {v->tokens, c->hidden_size};
    snprintf(name, sizeof name, "%sembeddings.position_embedding.weight",
             prefix);
    if ((rc = clip_load_f32(ck, name, 2, pos, &v->pos, err))) return rc;
    if (!v->cls) return VLM_OK; /* SigLIP has no pre-norm */
    /* "pre_layrnorm" is HF's spelling. */
    snprintf(name, sizeof name, "%spre_layrnorm.", prefix);
    return clip_load_norm(ck, name, c->hidden_size, &v->pre_w, &v->pre_b, err);
}

int clip_vision_create(const st_checkpoint *ck, const char *prefix,
                       const clip_tower_config *cfg,
                       const clip_vision_opts *opts, clip_vision **out,
                       char *err)
{
    *out = NULL;
    int layers = opts->layers > 0 ? opts->layers : cfg->num_layers;
    if (layers > cfg->num_layers) {
        vlm_set_err(err, "vision tower has %d layers, %d requested",
                    cfg->num_layers, layers);
        return VLM_EINVAL;
    }
    clip_vision *v = calloc(1, sizeof *v);
    if (!v) return VLM_ENOMEM;
    v->cfg = *cfg;
    v->grid = cfg->image_size / cfg->patch_size;
    v->cls = opts->layout == CLIP_VISION_CLS;
    v->tokens = v->cls + v->grid * v->grid;
    v->post_ln = opts->post_layernorm;
    char name[512];
    int rc = load_embeddings(v, ck, prefix, opts->precision, err);
    if (!rc && v->post_ln) {
        snprintf(name, sizeof name, "%spost_layernorm.", prefix);
        rc = clip_load_norm(ck, name, cfg->hidden_size, &v->post_w, &v->post_b,
                            err);
    }
    if (!rc) {
        snprintf(name, sizeof name, "%sencoder.", prefix);
        rc = clip_encoder_load(&v->enc, ck, name, cfg, layers, opts->precision,
                               err);
    }
    if (rc) {
        clip_vision_destroy(v);
        return rc;
    }
    *out = v;
    return VLM_OK;
}

void clip_vision_destroy(clip_vision *v)
{
    if (!v) return;
    vlm_weight_destroy(v->patch);
    free(v->patch_b);
    free(v->class_emb);
    free(v->pos);
    free(v->pre_w);
    free(v->pre_b);
    free(v->post_w);
    free(v->post_b);
    clip_encoder_free(&v->enc);
    free(v);
}

int clip_vision_tokens(const clip_vision *v) { return v->tokens; }
int clip_vision_width(const clip_vision *v) { return v->cfg.hidden_size; }
int clip_vision_layers(const clip_vision *v) { return v->enc.n_blocks; }

/* cols[(img*G + py)*G + px][c][ky][kx]: the conv as one GEMM's input. */
static void im2col(const float *pixels, int n, int C, int S, int P, float *cols)
{
    int G = S / P, K = C * P * P;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n * G * G; r++) {
        int img = r / (G * G), py = (r / G) % G, px = r % G;
        float *dst = cols + (size_t)r * K;
        for (int c = 0; c < C; c++)
            for (int ky = 0; ky < P; ky++) {
                const float *src =
                    pixels +
                    (((size_t)img * C + c) * S + (size_t)py * P + ky) * S +
                    (size_t)px * P;
                memcpy(dst + (c * P + ky) * P, src, (size_t)P * sizeof(float));
            }
    }
}

/* CLS layout: x[img][0] = class + pos[0], x[img][1+p] = patch[p] + pos[1+p];
 * SigLIP: x[img][p] = patch[p] + pos[p]. */
static void embed_tokens(const clip_vision *v, const float *patch_out, int n,
                         float *x)
{
    int W = v->cfg.hidden_size, T = v->tokens, c = v->cls;
    for (int img = 0; img < n; img++) {
        float *xi = x + (size_t)img * T * W;
        if (c)
            for (int j = 0; j < W; j++) xi[j] = v->class_emb[j] + v->pos[j];
        for (int t = c; t < T; t++) {
            const float *p = patch_out + ((size_t)img * (T - c) + t - c) * W;
            const float *pe = v->pos + (size_t)t * W;
            float *xt = xi + (size_t)t * W;
            for (int j = 0; j < W; j++) xt[j] = p[j] + pe[j];
        }
    }
}

/* Tokens after pre_layrnorm, into x [n*T, W]. */
static int embed(const clip_vision *v, const float *pixels, int n, float *x,
                 char *err)
{
    const clip_tower_config *c = &v->cfg;
    int G = v->grid, K = c->num_channels * c->patch_size * c->patch_size;
    size_t rows = (size_t)n * G * G;
    float *cols = malloc(rows * K * sizeof(float));
    float *pout = malloc(rows * c->hidden_size * sizeof(float));
    if (!cols || !pout) {
        free(cols);
        free(pout);
        vlm_set_err(err, "out of memory for %d images", n);
        return VLM_ENOMEM;
    }
    im2col(pixels, n, c->num_channels, c->image_size, c->patch_size, cols);
    vlm_linear(v->patch, v->patch_b, cols, (int)rows, pout);
    embed_tokens(v, pout, n, x);
    free(cols);
    free(pout);
    if (v->pre_w)
        clip_layer_norm(x, x, n * v->tokens, c->hidden_size, v->pre_w, v->pre_b,
                        c->layer_norm_eps);
    return VLM_OK;
}

int clip_vision_forward(clip_vision *v, const float *pixels, int n,
                        float *hidden_last, float *hidden_prev, float *pooled,
                        char *err)
{
    if (n <= 0) return VLM_OK;
    if (pooled && (!v->post_ln || !v->cls)) {
        vlm_set_err(err, "pooled output needs a CLS token and the "
                         "post_layernorm (load option)");
        return VLM_EINVAL;
    }
    int W = v->cfg.hidden_size, T = v->tokens;
    size_t per = (size_t)T * W;
    float *x = hidden_last ? hidden_last : malloc(n * per * sizeof(float));
    int *lens = malloc((size_t)n * sizeof(int));
    int rc = (x && lens) ? VLM_OK : VLM_ENOMEM;
    if (rc) vlm_set_err(err, "out of memory for %d images", n);
    for (int i = 0; !rc && i < n; i++) lens[i] = T;
    if (!rc) rc = embed(v, pixels, n, x, err);
    if (!rc && hidden_prev && v->enc.n_blocks == 0)
        memcpy(hidden_prev, x, n * per * sizeof(float));
    if (!rc)
        rc = clip_encoder_forward(&v->enc, x, lens, n, 0, hidden_prev, err);
    for (int i = 0; !rc && pooled && i < n; i++)
        clip_layer_norm(x + i * per, pooled + (size_t)i * W, 1, W, v->post_w,
                        v->post_b, v->cfg.layer_norm_eps);
    if (x != hidden_last) free(x);
    free(lens);
    return rc;
}

void clip_vision_post_norm(const clip_vision *v, const float *x, int rows,
                           float *out)
{
    clip_layer_norm(x, out, rows, v->cfg.hidden_size, v->post_w, v->post_b,
                    v->cfg.layer_norm_eps);
}
