/*
 * siglip_head.c — SigLIP's attention pooling head (siglip_head.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_encoder.h"
#include "model/clip/clip_tensors.h"
#include "model/clip/siglip_head.h"
#include "model/core/kernels.h"

struct siglip_head {
    clip_tower_config cfg;
    float *q;       /* probe . Wq^T + bq, [W]: the same for every image */
    vlm_weight *kv; /* rows W..3W of in_proj_weight: [2W, W] */
    float *kv_b;    /* [2W] */
    vlm_weight *o, *fc1, *fc2;
    float *o_b, *fc1_b, *fc2_b, *ln_w, *ln_b;
};

/* q = probe . Wq^T + bq from the first W rows of in_proj. */
static int probe_query(siglip_head *h, const st_checkpoint *ck,
                       const char *prefix, const st_tensor *in_w,
                       const float *in_b, char *err)
{
    int W = h->cfg.hidden_size;
    char name[512];
    float *probe = NULL, *row = NULL;
    int64_t shape[3] = {1, 1, W};
    snprintf(name, sizeof name, "%sprobe", prefix);
    int rc = clip_load_f32(ck, name, 3, shape, &probe, err);
    if (!rc) {
        row = malloc((size_t)W * sizeof(float));
        h->q = malloc((size_t)W * sizeof(float));
        if (!row || !h->q) rc = VLM_ENOMEM;
    }
    for (int i = 0; !rc && i < W; i++) {
        clip_tensor_row(in_w, i, W, row);
        float s = 0;
        for (int j = 0; j < W; j++) s += probe[j] * row[j];
        h->q[i] = s + in_b[i];
    }
    free(probe);
    free(row);
    return rc;
}

/* The key/value rows of in_proj_weight, wrapped as one [2W, W] weight. */
static int load_kv(siglip_head *h, const st_checkpoint *ck, const char *prefix,
                   vlm_precision prec, char *err)
{
    int W = h->cfg.hidden_size;
    char name[512];
    const st_tensor *w;
    float *b;
    int64_t ws[2] = {3 * (int64_t)W, W};
    snprintf(name, sizeof name, "%sattention.in_proj_weight", prefix);
    int rc = st_checkpoint_require(ck, name, 2, ws, &w, err);
    if (rc) return rc;
    snprintf(name, sizeof name, "%sattention.in_proj_bias", prefix);
    if ((rc = clip_load_vec(ck, name, 3 * (int64_t)W, &b, err))) return rc;
    size_t skip = (size_t)W * W * st_dtype_size(w->dtype);
    st_tensor view = *w;
    view.shape[0] = 2 * (int64_t)W;
    view.numel = 2 * (int64_t)W * W;
    view.data = (const uint8_t *)w->data + skip;
    view.nbytes = w->nbytes - skip;
    rc = vlm_weight_create(&view, prec, &h->kv, err);
    h->kv_b = rc ? NULL : malloc(2 * (size_t)W * sizeof(float));
    if (!rc && !h->kv_b) rc = VLM_ENOMEM;
    if (!rc) memcpy(h->kv_b, b + W, 2 * (size_t)W * sizeof(float));
    if (!rc) rc = probe_query(h, ck, prefix, w, b, err);
    free(b);
    return rc;
}

int siglip_head_create(const st_checkpoint *ck, const char *prefix,
                       const clip_tower_config *vision, vlm_precision prec,
                       siglip_head **out, char *err)
{
    *out = NULL;
    siglip_head *h = calloc(1, sizeof *h);
    if (!h) return VLM_ENOMEM;
    h->cfg = *vision;
    int W = vision->hidden_size, I = vision->intermediate_size;
    char p[512];
    int rc = load_kv(h, ck, prefix, prec, err);
    snprintf(p, sizeof p, "%sattention.out_proj.", prefix);
    if (!rc) rc = clip_load_linear(ck, p, W, W, prec, &h->o, &h->o_b, err);
    snprintf(p, sizeof p, "%smlp.fc1.", prefix);
    if (!rc) rc = clip_load_linear(ck, p, I, W, prec, &h->fc1, &h->fc1_b, err);
    snprintf(p, sizeof p, "%smlp.fc2.", prefix);
    if (!rc) rc = clip_load_linear(ck, p, W, I, prec, &h->fc2, &h->fc2_b, err);
    snprintf(p, sizeof p, "%slayernorm.", prefix);
    if (!rc) rc = clip_load_norm(ck, p, W, &h->ln_w, &h->ln_b, err);
    if (rc) {
        siglip_head_destroy(h);
        return rc;
    }
    *out = h;
    return VLM_OK;
}

void siglip_head_destroy(siglip_head *h)
{
    if (!h) return;
    vlm_weight *w[] = {h->kv, h->o, h->fc1, h->fc2};
    float *f[] = {h->q, h->kv_b, h->o_b, h->fc1_b, h->fc2_b, h->ln_w, h->ln_b};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++) vlm_weight_destroy(w[i]);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]);
    free(h);
}

/* One query per head over T keys: ctx[hd] = softmax(q.k / sqrt d) . v.
 * kv rows are [k | v], 2W wide. */
static void probe_attend(const float *q, const float *kv, int T, int W,
                         int heads, float *ctx, float *s)
{
    int d = W / heads;
    float scale = 1.0f / sqrtf((float)d);
    for (int hd = 0; hd < heads; hd++) {
        const float *qh = q + hd * d;
        for (int t = 0; t < T; t++) {
            const float *k = kv + (size_t)t * 2 * W + hd * d;
            float dot = 0;
            for (int j = 0; j < d; j++) dot += qh[j] * k[j];
            s[t] = dot * scale;
        }
        vlm_softmax(s, T);
        float *o = ctx + hd * d;
        memset(o, 0, (size_t)d * sizeof(float));
        for (int t = 0; t < T; t++) {
            const float *v = kv + (size_t)t * 2 * W + W + hd * d;
            for (int j = 0; j < d; j++) o[j] += s[t] * v[j];
        }
    }
}

int siglip_head_forward(const siglip_head *h, const float *tokens, int n, int T,
                        float *out, float *attn, char *err)
{
    int W = h->cfg.hidden_size, I = h->cfg.intermediate_size;
    if (n <= 0) return VLM_OK;
    float *kv = malloc((size_t)n * T * 2 * W * sizeof(float));
    float *ctx = malloc((size_t)n * W * sizeof(float));
    float *a = attn ? attn : malloc((size_t)n * W * sizeof(float));
    float *m = malloc((size_t)n * (W + I) * sizeof(float));
    float *s = malloc((size_t)T * sizeof(float));
    int rc = kv && ctx && a && m && s ? VLM_OK : VLM_ENOMEM;
    if (rc) vlm_set_err(err, "out of memory for %d images", n);
    if (!rc) {
        vlm_linear(h->kv, h->kv_b, tokens, n * T, kv);
        for (int i = 0; i < n; i++)
            probe_attend(h->q, kv + (size_t)i * T * 2 * W, T, W,
                         h->cfg.num_heads, ctx + (size_t)i * W, s);
        vlm_linear(h->o, h->o_b, ctx, n, a);
        float *ln = m, *mid = m + (size_t)n * W;
        clip_layer_norm(a, ln, n, W, h->ln_w, h->ln_b, h->cfg.layer_norm_eps);
        vlm_linear_ex(h->fc1, h->fc1_b, ln, n, mid, h->cfg.act, 0);
        memcpy(out, a, (size_t)n * W * sizeof(float));
        vlm_linear_ex(h->fc2, h->fc2_b, mid, n, out, VLM_ACT_NONE, 1);
    }
    free(kv);
    free(ctx);
    if (a != attn) free(a);
    free(m);
    free(s);
    return rc;
}
