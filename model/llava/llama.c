/*
 * llama.c — Llama decoder forward pass.  See llama.h.
 *
 * A prompt of n positions runs as one batch: every Linear is a single
 * [n,in] x W^T GEMM per layer; only attention loops over positions (causal,
 * against the KV cache).  Generation is the same code with n = 1.
 */
#include "model/llava/llama.h"

#include "model/core/config_limits.h"
#include "model/llava/llama_gemv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* A Linear: vlm_linear for batches, the GEMV kernel for one-token steps. */
typedef struct llama_linear {
    vlm_weight *w;
    llama_gemv g;
} llama_linear;

typedef struct llama_layer {
    float *attn_norm, *ffn_norm; /* [dim], converted to f32 at load */
    llama_linear wq, wk, wv, wo, w_gate, w_up, w_down;
} llama_layer;

struct llama_model {
    llama_config cfg;
    const st_tensor *embed; /* [vocab, dim], read row by row */
    float *final_norm;
    llama_linear lm_head;
    llama_layer *layers;
    int threads; /* each state's calls run on this many (threads.h) */
};

struct llama_state {
    const llama_model *m;
    int max_seq, pos, n_threads;
    float *key_cache, *value_cache; /* [layer][max_seq][kv_dim] */
    float *att;                     /* [n_threads][max_seq] scores */
    /* per-batch scratch, grown to the largest n seen */
    int cap;
    float *x, *xb, *q, *k, *v, *hb, *hb2;
};

/* ---- config + loading --------------------------------------------------- */

/* Ranges first, before anything is sized from them (config_limits.h). */
static int check_ranges(const llama_config *c, char *err)
{
    const vlm_int_field f[] = {
        {"hidden_size", c->dim, 2, 65536},
        {"intermediate_size", c->hidden_dim, 1, 262144},
        {"num_hidden_layers", c->n_layers, 1, 1024},
        {"num_attention_heads", c->n_heads, 1, 1024},
        {"num_key_value_heads", c->n_kv_heads, 1, 1024},
        {"vocab_size", c->vocab_size, 1, 1 << 24},
        {"max_position_embeddings", c->max_positions, 1, 1 << 24},
    };
    int rc = vlm_check_int_fields("text_config", f, sizeof f / sizeof *f, err);
    if (!rc)
        rc = vlm_check_real_field("text_config", "rms_norm_eps", c->rms_eps, 0,
                                  1, err);
    if (!rc)
        rc = vlm_check_real_field("text_config", "rope_theta", c->rope_theta, 0,
                                  1e12, err);
    return rc;
}

int llama_config_check(const llama_config *c, char *err)
{
    int rc = check_ranges(c, err);
    if (rc) return rc;
    if (c->dim % c->n_heads || (c->dim / c->n_heads) % 2) {
        vlm_set_err(err,
                    "llama config: hidden_size %d is not num_attention_heads"
                    " %d times an even head size",
                    c->dim, c->n_heads);
        return VLM_EFORMAT;
    }
    if (c->n_heads % c->n_kv_heads) {
        vlm_set_err(err,
                    "llama config: num_attention_heads %d is not a multiple"
                    " of num_key_value_heads %d",
                    c->n_heads, c->n_kv_heads);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

static int kv_dim(const llama_config *c)
{
    return c->dim / c->n_heads * c->n_kv_heads;
}

/* Requires prefix+name with the given shape; on success *out is set. */
static int require(const st_checkpoint *ck, const char *prefix,
                   const char *name, int ndim, int64_t d0, int64_t d1,
                   const st_tensor **out, char *err)
{
    char full[512];
    if (snprintf(full, sizeof full, "%s%s", prefix, name) >= (int)sizeof full) {
        vlm_set_err(err, "tensor name too long: %s%s", prefix, name);
        return VLM_EINVAL;
    }
    const int64_t shape[2] = {d0, d1};
    return st_checkpoint_require(ck, full, ndim, shape, out, err);
}

static int load_vector(const st_checkpoint *ck, const char *prefix,
                       const char *name, int n, float **out, char *err)
{
    const st_tensor *t;
    int rc = require(ck, prefix, name, 1, n, 0, &t, err);
    if (rc) return rc;
    *out = malloc(sizeof(float) * (size_t)n);
    if (!*out) {
        vlm_set_err(err, "out of memory loading %s%s", prefix, name);
        return VLM_ENOMEM;
    }
    return st_tensor_to_f32(t, *out, (size_t)n, err);
}

/* Everything goes through vlm_linear at the precision asked for (oneDNN
 * bf16 prompts run ~2x faster than fp32), which streams plain weights for
 * one-token steps.  Only weights oneDNN packed natively get a plain bf16
 * copy beside them for the GEMV. */
static int linear_create(const st_tensor *t, vlm_precision prec,
                         llama_linear *out, char *err)
{
    int rc = vlm_weight_create(t, prec, &out->w, err);
    if (rc || vlm_weight_is_plain(out->w)) return rc;
    return llama_gemv_init(&out->g, t, VLM_PREC_BF16, err);
}

static void linear_destroy(llama_linear *l)
{
    if (l->w) vlm_weight_destroy(l->w);
    llama_gemv_free(&l->g);
}

static int load_linear(const st_checkpoint *ck, const char *prefix,
                       const char *name, int out_f, int in_f,
                       vlm_precision prec, llama_linear *out, char *err)
{
    const st_tensor *t;
    int rc = require(ck, prefix, name, 2, out_f, in_f, &t, err);
    if (rc) return rc;
    return linear_create(t, prec, out, err);
}

/* y = x W^T (+ y when accumulate) for n rows. */
static void linear(const llama_linear *l, const float *x, int n, float *y,
                   int accumulate)
{
    if (n == 1 && llama_gemv_ready(&l->g))
        llama_gemv_run(&l->g, x, y, accumulate);
    else
        vlm_linear_ex(l->w, NULL, x, n, y, VLM_ACT_NONE, accumulate);
}

static int load_layer(const st_checkpoint *ck, const char *prefix, int l,
                      const llama_config *c, vlm_precision prec, llama_layer *L,
                      char *err)
{
    char p[400];
    snprintf(p, sizeof p, "%smodel.layers.%d.", prefix, l);
    const int kv = kv_dim(c);
    int rc;
    if ((rc = load_vector(ck, p, "input_layernorm.weight", c->dim,
                          &L->attn_norm, err)) ||
        (rc = load_vector(ck, p, "post_attention_layernorm.weight", c->dim,
                          &L->ffn_norm, err)) ||
        (rc = load_linear(ck, p, "self_attn.q_proj.weight", c->dim, c->dim,
                          prec, &L->wq, err)) ||
        (rc = load_linear(ck, p, "self_attn.k_proj.weight", kv, c->dim, prec,
                          &L->wk, err)) ||
        (rc = load_linear(ck, p, "self_attn.v_proj.weight", kv, c->dim, prec,
                          &L->wv, err)) ||
        (rc = load_linear(ck, p, "self_attn.o_proj.weight", c->dim, c->dim,
                          prec, &L->wo, err)) ||
        (rc = load_linear(ck, p, "mlp.gate_proj.weight", c->hidden_dim, c->dim,
                          prec, &L->w_gate, err)) ||
        (rc = load_linear(ck, p, "mlp.up_proj.weight", c->hidden_dim, c->dim,
                          prec, &L->w_up, err)) ||
        (rc = load_linear(ck, p, "mlp.down_proj.weight", c->dim, c->hidden_dim,
                          prec, &L->w_down, err)))
        return rc;
    return VLM_OK;
}

static int load_embeddings(const st_checkpoint *ck, const char *prefix,
                           const llama_config *c, vlm_precision prec,
                           llama_model *m, char *err)
{
    char p[400];
    snprintf(p, sizeof p, "%smodel.", prefix);
    int rc = require(ck, p, "embed_tokens.weight", 2, c->vocab_size, c->dim,
                     &m->embed, err);
    if (rc) return rc;
    if ((rc = load_vector(ck, p, "norm.weight", c->dim, &m->final_norm, err)))
        return rc;
    if (c->tie_embeddings)
        return linear_create(m->embed, prec, &m->lm_head, err);
    return load_linear(ck, prefix, "lm_head.weight", c->vocab_size, c->dim,
                       prec, &m->lm_head, err);
}

int llama_load(const st_checkpoint *ck, const char *prefix,
               const llama_config *cfg, vlm_precision prec, llama_model **out,
               char *err)
{
    *out = NULL;
    int rc = llama_config_check(cfg, err);
    if (rc) return rc;
    llama_model *m = calloc(1, sizeof *m);
    if (m) m->layers = calloc((size_t)cfg->n_layers, sizeof *m->layers);
    if (!m || !m->layers) {
        free(m);
        vlm_set_err(err, "out of memory loading the decoder");
        return VLM_ENOMEM;
    }
    m->cfg = *cfg;
    m->threads = vlm_threads_resolve(0);
    rc = load_embeddings(ck, prefix, cfg, prec, m, err);
    for (int l = 0; !rc && l < cfg->n_layers; l++)
        rc = load_layer(ck, prefix, l, cfg, prec, &m->layers[l], err);
    if (rc) {
        llama_destroy(m);
        return rc;
    }
    *out = m;
    return VLM_OK;
}

void llama_destroy(llama_model *m)
{
    if (!m) return;
    for (int l = 0; l < m->cfg.n_layers; l++) {
        llama_layer *L = &m->layers[l];
        free(L->attn_norm);
        free(L->ffn_norm);
        llama_linear *ls[] = {&L->wq,     &L->wk,   &L->wv,    &L->wo,
                              &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < sizeof ls / sizeof *ls; i++)
            linear_destroy(ls[i]);
    }
    free(m->layers);
    free(m->final_norm);
    linear_destroy(&m->lm_head);
    free(m);
}

const llama_config *llama_model_config(const llama_model *m) { return &m->cfg; }

void llama_set_threads(llama_model *m, int n)
{
    m->threads = vlm_threads_resolve(n);
}

void llama_embed_tokens(const llama_model *m, const int32_t *ids, int n,
                        float *out)
{
    /* rows of a float tensor whose shape was checked at load */
    for (int i = 0; i < n; i++)
        vlm_tensor_rows_to_f32(m->embed, ids[i], 1,
                               out + (size_t)i * m->cfg.dim, NULL);
}

/* ---- state -------------------------------------------------------------- */

int llama_state_create(const llama_model *m, int max_seq, llama_state **out,
                       char *err)
{
    *out = NULL;
    if (max_seq <= 0 || max_seq > m->cfg.max_positions) {
        vlm_set_err(err, "decoder context of %d positions is outside 1..%d",
                    max_seq, m->cfg.max_positions);
        return VLM_EINVAL;
    }
    llama_state *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->m = m;
    s->max_seq = max_seq;
    s->n_threads = m->threads;
    const size_t cache = (size_t)m->cfg.n_layers * max_seq * kv_dim(&m->cfg);
    s->key_cache = malloc(sizeof(float) * cache);
    s->value_cache = malloc(sizeof(float) * cache);
    s->att = malloc(sizeof(float) * (size_t)s->n_threads * max_seq);
    if (!s->key_cache || !s->value_cache || !s->att) goto oom;
    *out = s;
    return VLM_OK;
oom:
    llama_state_destroy(s);
    vlm_set_err(err, "out of memory for a KV cache of %d positions", max_seq);
    return VLM_ENOMEM;
}

static void free_scratch(llama_state *s)
{
    float **bufs[] = {&s->x, &s->xb, &s->q, &s->k, &s->v, &s->hb, &s->hb2};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        free(*bufs[i]);
        *bufs[i] = NULL;
    }
    s->cap = 0;
}

void llama_state_destroy(llama_state *s)
{
    if (!s) return;
    free_scratch(s);
    free(s->key_cache);
    free(s->value_cache);
    free(s->att);
    free(s);
}

void llama_state_rewind(llama_state *s, int pos)
{
    if (pos >= 0 && pos < s->pos) s->pos = pos;
}
int llama_state_pos(const llama_state *s) { return s->pos; }

static int ensure_scratch(llama_state *s, int n)
{
    if (n <= s->cap) return VLM_OK;
    free_scratch(s);
    const llama_config *c = &s->m->cfg;
    const size_t d = (size_t)n * c->dim, kv = (size_t)n * kv_dim(c),
                 h = (size_t)n * c->hidden_dim;
    s->x = malloc(sizeof(float) * d);
    s->xb = malloc(sizeof(float) * d);
    s->q = malloc(sizeof(float) * d);
    s->k = malloc(sizeof(float) * kv);
    s->v = malloc(sizeof(float) * kv);
    s->hb = malloc(sizeof(float) * h);
    s->hb2 = malloc(sizeof(float) * h);
    if (!s->x || !s->xb || !s->q || !s->k || !s->v || !s->hb || !s->hb2) {
        free_scratch(s);
        return VLM_ENOMEM;
    }
    s->cap = n;
    return VLM_OK;
}

/* ---- the forward pass --------------------------------------------------- */

static void rmsnorm(float *o, const float *x, const float *w, int n, int dim,
                    float eps)
{
#pragma omp parallel for if (n > 1)
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * dim;
        float *oi = o + (size_t)i * dim;
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)xi[j] * xi[j];
        const float r = (float)(1.0 / sqrt(ss / dim + eps));
        for (int j = 0; j < dim; j++) oi[j] = w[j] * (xi[j] * r);
    }
}

/* HF's rotate-half RoPE on n rows of `heads` heads of size hs, rows at
 * positions pos0, pos0+1, ...: pairs (j, j + hs/2) rotate by pos * theta^(-2j/hs). */
static void rope(float *v, int n, int heads, int hs, int pos0, float theta)
{
    const int half = hs / 2;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < half; j++) {
            const float inv = (float)(1.0 / pow(theta, 2.0 * j / hs));
            const float ang = (float)(pos0 + i) * inv;
            const float c = cosf(ang), s = sinf(ang);
            for (int h = 0; h < heads; h++) {
                float *p = v + ((size_t)i * heads + h) * hs;
                const float a = p[j], b = p[j + half];
                p[j] = a * c - b * s;
                p[j + half] = b * c + a * s;
            }
        }
    }
}

/* Causal attention of the n new query rows (positions pos0..pos0+n-1) over
 * the cache; the output goes to xb (n x dim). */
static void attention(llama_state *s, int l, int n, int pos0)
{
    const llama_config *c = &s->m->cfg;
    const int hs = c->dim / c->n_heads, kvd = kv_dim(c);
    const int group = c->n_heads / c->n_kv_heads;
    const float scale = 1.0f / sqrtf((float)hs);
    const float *kc = s->key_cache + (size_t)l * s->max_seq * kvd;
    const float *vc = s->value_cache + (size_t)l * s->max_seq * kvd;
#pragma omp parallel for collapse(2) num_threads(s->n_threads)
    for (int i = 0; i < n; i++) {
        for (int h = 0; h < c->n_heads; h++) {
#ifdef _OPENMP
            float *att = s->att + (size_t)omp_get_thread_num() * s->max_seq;
#else
            float *att = s->att;
#endif
            const float *q = s->q + (size_t)i * c->dim + h * hs;
            const int kvo = (h / group) * hs, len = pos0 + i + 1;
            float mx = -INFINITY;
            for (int t = 0; t < len; t++) {
                const float *k = kc + (size_t)t * kvd + kvo;
                float d = 0;
#pragma omp simd reduction(+ : d)
                for (int j = 0; j < hs; j++) d += q[j] * k[j];
                att[t] = d * scale;
                if (att[t] > mx) mx = att[t];
            }
            float sum = 0;
            for (int t = 0; t < len; t++) sum += att[t] = expf(att[t] - mx);
            float *o = s->xb + (size_t)i * c->dim + h * hs;
            memset(o, 0, sizeof(float) * hs);
            for (int t = 0; t < len; t++) {
                const float *v = vc + (size_t)t * kvd + kvo;
                const float a = att[t] / sum;
#pragma omp simd
                for (int j = 0; j < hs; j++) o[j] += a * v[j];
            }
        }
    }
}

static void swiglu(float *g, const float *u, size_t n)
{
#pragma omp parallel for if (n > 65536)
    for (size_t i = 0; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static void layer_forward(llama_state *s, int l, int n, int pos0)
{
    const llama_config *c = &s->m->cfg;
    const llama_layer *L = &s->m->layers[l];
    const int hs = c->dim / c->n_heads, kvd = kv_dim(c);

    rmsnorm(s->xb, s->x, L->attn_norm, n, c->dim, c->rms_eps);
    linear(&L->wq, s->xb, n, s->q, 0);
    linear(&L->wk, s->xb, n, s->k, 0);
    linear(&L->wv, s->xb, n, s->v, 0);
    rope(s->q, n, c->n_heads, hs, pos0, c->rope_theta);
    rope(s->k, n, c->n_kv_heads, hs, pos0, c->rope_theta);
    const size_t at = ((size_t)l * s->max_seq + pos0) * kvd;
    memcpy(s->key_cache + at, s->k, sizeof(float) * n * kvd);
    memcpy(s->value_cache + at, s->v, sizeof(float) * n * kvd);
    attention(s, l, n, pos0);
    linear(&L->wo, s->xb, n, s->x, 1); /* x += o_proj(attention) */

    rmsnorm(s->xb, s->x, L->ffn_norm, n, c->dim, c->rms_eps);
    linear(&L->w_gate, s->xb, n, s->hb, 0);
    linear(&L->w_up, s->xb, n, s->hb2, 0);
    swiglu(s->hb, s->hb2, (size_t)n * c->hidden_dim);
    linear(&L->w_down, s->hb, n, s->x, 1); /* x += mlp */
}

/* Final norm + lm_head on the requested rows only (the vocab GEMM is the
 * biggest single one; a prompt needs it for one row). */
static int project_rows(llama_state *s, int n, const int *rows, int n_rows,
                        float *logits, char *err)
{
    const llama_config *c = &s->m->cfg;
    float *sel = malloc(sizeof(float) * (size_t)n_rows * c->dim);
    if (!sel) {
        vlm_set_err(err, "out of memory for %d logit rows", n_rows);
        return VLM_ENOMEM;
    }
    for (int r = 0; r < n_rows; r++) {
        if (rows[r] < 0 || rows[r] >= n) {
            free(sel);
            vlm_set_err(err, "logit row %d outside the %d new positions",
                        rows[r], n);
            return VLM_EINVAL;
        }
        rmsnorm(sel + (size_t)r * c->dim, s->x + (size_t)rows[r] * c->dim,
                s->m->final_norm, 1, c->dim, c->rms_eps);
    }
    linear(&s->m->lm_head, sel, n_rows, logits, 0);
    free(sel);
    return VLM_OK;
}

int llama_forward(llama_state *s, const float *x, int n, const int *rows,
                  int n_rows, float *logits, char *err)
{
    const llama_config *c = &s->m->cfg;
    if (n <= 0 || s->pos + n > s->max_seq) {
        vlm_set_err(err,
                    "sequence of %d positions does not fit the decoder "
                    "context (%d used of %d)",
                    n, s->pos, s->max_seq);
        return n <= 0 ? VLM_EINVAL : VLM_ETOOBIG;
    }
    if (ensure_scratch(s, n)) {
        vlm_set_err(err, "out of memory for a batch of %d positions", n);
        return VLM_ENOMEM;
    }
    memcpy(s->x, x, sizeof(float) * (size_t)n * c->dim);
    int prev = vlm_threads_enter(s->n_threads);
    for (int l = 0; l < c->n_layers; l++) layer_forward(s, l, n, s->pos);
    int rc =
        n_rows > 0 ? project_rows(s, n, rows, n_rows, logits, err) : VLM_OK;
    vlm_threads_leave(prev);
    if (rc == VLM_OK) s->pos += n;
    return rc;
}
