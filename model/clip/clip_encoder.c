/*
 * clip_encoder.c — transformer blocks (attention + MLP), pre- or post-norm.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_encoder.h"
#include "model/clip/clip_tensors.h"
#include "model/core/kernels.h"

static void block_free(clip_block *b)
{
    vlm_weight *w[] = {b->q, b->k, b->v, b->qkv, b->o, b->fc1, b->fc2};
    float *f[] = {b->q_b,   b->k_b,   b->v_b,   b->qkv_b, b->o_b,  b->fc1_b,
                  b->fc2_b, b->ln1_w, b->ln1_b, b->ln2_w, b->ln2_b};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++) vlm_weight_destroy(w[i]);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]);
}

const clip_block_layout CLIP_BLOCK_LAYOUT = {
    .layers = "layers.",
    .q = "self_attn.q_proj.",
    .k = "self_attn.k_proj.",
    .v = "self_attn.v_proj.",
    .o = "self_attn.out_proj.",
    .fc1 = "mlp.fc1.",
    .fc2 = "mlp.fc2.",
    .ln1 = "layer_norm1.",
    .ln2 = "layer_norm2.",
    .post_norm = 0,
};

const clip_block_layout BERT_BLOCK_LAYOUT = {
    .layers = "layer.",
    .q = "attention.self.query.",
    .k = "attention.self.key.",
    .v = "attention.self.value.",
    .o = "attention.output.dense.",
    .fc1 = "intermediate.dense.",
    .fc2 = "output.dense.",
    .ln1 = "attention.output.LayerNorm.",
    .ln2 = "output.LayerNorm.",
    .post_norm = 1,
};

/* q, k, v stacked into one [3W, W] weight and [3W] bias. */
static int load_qkv(clip_block *b, const st_checkpoint *ck, const char *pre,
                    const clip_block_layout *lay, int W, vlm_precision prec,
                    char *err)
{
    const char *names[3] = {lay->q, lay->k, lay->v};
    size_t ww = (size_t)W * W;
    float *stack = malloc(3 * ww * sizeof(float));
    b->qkv_b = malloc(3 * (size_t)W * sizeof(float));
    if (!stack || !b->qkv_b) {
        free(stack);
        return VLM_ENOMEM;
    }
    int rc = VLM_OK;
    for (int i = 0; i < 3 && !rc; i++) {
        char name[640];
        float *part;
        snprintf(name, sizeof name, "%s%sweight", pre, names[i]);
        int64_t shape[2] = {W, W};
        rc = clip_load_f32(ck, name, 2, shape, &part, err);
        if (rc) break;
        memcpy(stack + i * ww, part, ww * sizeof(float));
        free(part);
        snprintf(name, sizeof name, "%s%sbias", pre, names[i]);
        rc = clip_load_vec(ck, name, W, &part, err);
        if (rc) break;
        memcpy(b->qkv_b + (size_t)i * W, part, (size_t)W * sizeof(float));
        free(part);
    }
    st_tensor t = {.name = "qkv",
                   .dtype = ST_F32,
                   .ndim = 2,
                   .shape = {3 * (int64_t)W, W},
                   .numel = 3 * (int64_t)ww,
                   .data = stack,
                   .nbytes = 3 * ww * sizeof(float)};
    if (!rc) rc = vlm_weight_create(&t, prec, &b->qkv, err);
    free(stack); /* packed precisions keep their own copy */
    return rc;
}

static int block_load(clip_block *b, const st_checkpoint *ck, const char *pre,
                      const clip_block_layout *lay, const clip_tower_config *c,
                      vlm_precision prec, char *err)
{
    char p[512];
    int W = c->hidden_size, I = c->intermediate_size, rc;
#define LIN(field, sub, o, i)                                               \
    snprintf(p, sizeof p, "%s%s", pre, sub);                                \
    if ((rc = clip_load_linear(ck, p, o, i, prec, &b->field, &b->field##_b, \
                               err)))                                       \
        return rc;
    if (prec != VLM_PREC_F32) { /* packed weights are copies anyway: stack */
        if ((rc = load_qkv(b, ck, pre, lay, W, prec, err))) return rc;
    } else {
        LIN(q, lay->q, W, W)
        LIN(k, lay->k, W, W)
        LIN(v, lay->v, W, W)
    }
    LIN(o, lay->o, W, W)
    LIN(fc1, lay->fc1, I, W)
    LIN(fc2, lay->fc2, W, I)
#undef LIN
    snprintf(p, sizeof p, "%s%s", pre, lay->ln1);
    if ((rc = clip_load_norm(ck, p, W, &b->ln1_w, &b->ln1_b, err))) return rc;
    snprintf(p, sizeof p, "%s%s", pre, lay->ln2);
    return clip_load_norm(ck, p, W, &b->ln2_w, &b->ln2_b, err);
}

int clip_encoder_load_layout(clip_encoder *e, const st_checkpoint *ck,
                             const char *prefix, const clip_block_layout *lay,
                             const clip_tower_config *cfg, int n_blocks,
                             vlm_precision prec, char *err)
{
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    e->post_norm = lay->post_norm;
    e->blocks = calloc((size_t)n_blocks, sizeof *e->blocks);
    if (!e->blocks) {
        vlm_set_err(err, "out of memory for %d encoder blocks", n_blocks);
        return VLM_ENOMEM;
    }
    e->n_blocks = n_blocks;
    for (int i = 0; i < n_blocks; i++) {
        char pre[400];
        snprintf(pre, sizeof pre, "%s%s%d.", prefix, lay->layers, i);
        int rc = block_load(&e->blocks[i], ck, pre, lay, cfg, prec, err);
        if (rc) {
            clip_encoder_free(e);
            return rc;
        }
    }
    return VLM_OK;
}

int clip_encoder_load(clip_encoder *e, const st_checkpoint *ck,
                      const char *prefix, const clip_tower_config *cfg,
                      int n_blocks, vlm_precision prec, char *err)
{
    return clip_encoder_load_layout(e, ck, prefix, &CLIP_BLOCK_LAYOUT, cfg,
                                    n_blocks, prec, err);
}

void clip_encoder_free(clip_encoder *e)
{
    for (int i = 0; i < e->n_blocks; i++) block_free(&e->blocks[i]);
    free(e->blocks);
    memset(e, 0, sizeof *e);
}

void clip_layer_norm(const float *x, float *y, int rows, int n, const float *w,
                     const float *b, float eps)
{
    vlm_layer_norm(x, y, rows, n, w, b, eps);
}

/* One head of one sequence: o[T,d] = softmax(q k^T / sqrt d) v, rows strided
 * by W, through two small GEMMs and a row softmax in s[T][T]. */
static void attend_head(const float *q, const float *k, const float *v, int ld,
                        float *o, int T, int W, int d, int causal, float *s)
{
    vlm_gemm_small(1, T, T, d, 1.0f / sqrtf((float)d), q, ld, k, ld, 0.0f, s,
                   T);
    for (int i = 0; i < T; i++) {
        float *si = s + (size_t)i * T;
        int n = causal ? i + 1 : T;
        vlm_softmax(si, n);
        for (int j = n; j < T; j++) si[j] = 0; /* masked (future) tokens */
    }
    vlm_gemm_small(0, T, d, T, 1.0f, s, T, v, ld, 0.0f, o, W);
}

/* q, k, v rows have stride ld (W, or 3W when they share a fused buffer). */
static void attention(const float *q, const float *k, const float *v, int ld,
                      float *o, const int *seq_len, const size_t *seq_start,
                      int nseq, int W, int heads, int max_len, int causal)
{
    int d = W / heads;
#pragma omp parallel
    {
        float *s = malloc((size_t)max_len * max_len * sizeof(float));
        if (!s) abort();
#pragma omp for schedule(dynamic)
        for (int t = 0; t < nseq * heads; t++) {
            int sq = t / heads, h = t % heads;
            size_t in = seq_start[sq] * ld + (size_t)h * d,
                   out = seq_start[sq] * W + (size_t)h * d;
            attend_head(q + in, k + in, v + in, ld, o + out, seq_len[sq], W, d,
                        causal, s);
        }
        free(s);
    }
}

typedef struct work {
    float *h, *qkv, *a, *m; /* qkv: [M, 3W] fused, or q | k | v [M, W] each */
    size_t *start;
} work;

static void work_free(work *w)
{
    free(w->h);
    free(w->qkv);
    free(w->a);
    free(w->m);
    free(w->start);
}

static int work_alloc(work *w, size_t M, int W, int I, int nseq)
{
    size_t mw = M * W * sizeof(float);
    w->h = malloc(mw);
    w->qkv = malloc(3 * mw);
    w->a = malloc(mw);
    w->m = malloc(M * I * sizeof(float));
    w->start = malloc((size_t)nseq * sizeof(size_t));
    return w->h && w->qkv && w->a && w->m && w->start;
}

/* q|k|v of the rows of `in` into w->qkv; returns the row stride. */
static int project_qkv(const clip_block *b, const float *in, int M, int W,
                       work *w, const float **q, const float **k,
                       const float **v)
{
    *q = w->qkv;
    if (b->qkv) { /* one GEMM, q|k|v side by side in each row */
        vlm_linear(b->qkv, b->qkv_b, in, M, w->qkv);
        *k = *q + W;
        *v = *q + 2 * W;
        return 3 * W;
    }
    *k = *q + (size_t)M * W;
    *v = *k + (size_t)M * W;
    vlm_linear(b->q, b->q_b, in, M, (float *)*q);
    vlm_linear(b->k, b->k_b, in, M, (float *)*k);
    vlm_linear(b->v, b->v_b, in, M, (float *)*v);
    return W;
}

/* Pre-norm (CLIP) or post-norm (BERT): the same GEMMs, the norms moved. */
static void block_forward(const clip_block *b, const clip_encoder *e, float *x,
                          int M, work *w, const int *seq_len, int nseq,
                          int max_len, int causal)
{
    const clip_tower_config *c = &e->cfg;
    int W = c->hidden_size, post = e->post_norm;
    float eps = c->layer_norm_eps;
    if (!post) clip_layer_norm(x, w->h, M, W, b->ln1_w, b->ln1_b, eps);
    const float *q, *k, *v;
    int ld = project_qkv(b, post ? x : w->h, M, W, w, &q, &k, &v);
    attention(q, k, v, ld, w->a, seq_len, w->start, nseq, W, c->num_heads,
              max_len, causal);
    vlm_linear_ex(b->o, b->o_b, w->a, M, x, VLM_ACT_NONE, 1);
    if (post)
        clip_layer_norm(x, x, M, W, b->ln1_w, b->ln1_b, eps);
    else
        clip_layer_norm(x, w->h, M, W, b->ln2_w, b->ln2_b, eps);
    vlm_linear_ex(b->fc1, b->fc1_b, post ? x : w->h, M, w->m, c->act, 0);
    vlm_linear_ex(b->fc2, b->fc2_b, w->m, M, x, VLM_ACT_NONE, 1);
    if (post) clip_layer_norm(x, x, M, W, b->ln2_w, b->ln2_b, eps);
}

int clip_encoder_forward(const clip_encoder *e, float *x, const int *seq_len,
                         int nseq, int causal, float *save_prev, char *err)
{
    const clip_tower_config *c = &e->cfg;
    size_t M = 0;
    int max_len = 1;
    for (int s = 0; s < nseq; s++) {
        M += (size_t)seq_len[s];
        if (seq_len[s] > max_len) max_len = seq_len[s];
    }
    if (M == 0) return VLM_OK;
    work w = {0};
    if (!work_alloc(&w, M, c->hidden_size, c->intermediate_size, nseq)) {
        work_free(&w);
        vlm_set_err(err, "out of memory for a batch of %zu tokens", M);
        return VLM_ENOMEM;
    }
    for (int s = 0, acc = 0; s < nseq; acc += seq_len[s], s++) w.start[s] = acc;
    for (int i = 0; i < e->n_blocks; i++) {
        if (save_prev && i == e->n_blocks - 1)
            memcpy(save_prev, x, M * c->hidden_size * sizeof(float));
        block_forward(&e->blocks[i], e, x, (int)M, &w, seq_len, nseq, max_len,
                      causal);
    }
    work_free(&w);
    return VLM_OK;
}
