/*
 * bert_text.c — the BERT text tower of Chinese-CLIP (bert_text.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/bert_text.h"
#include "model/clip/clip_encoder.h"
#include "model/clip/clip_tensors.h"

struct bert_text {
    clip_tower_config cfg;
    const st_tensor *word; /* [vocab, W], read row by row from the map */
    float *pos;            /* [max_positions, W] */
    float *type0;          /* token_type_embeddings row 0 */
    float *ln_w, *ln_b;    /* embeddings.LayerNorm */
    clip_encoder enc;
};

static int load_embeddings(bert_text *t, const st_checkpoint *ck,
                           const char *prefix, char *err)
{
    const clip_tower_config *c = &t->cfg;
    int W = c->hidden_size;
    char name[512];
    int64_t word[2] = {c->vocab_size, W}, pos[2] = {c->max_positions, W},
            type[2] = {c->type_vocab_size, W};
    float *types = NULL;
    snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", prefix);
    int rc = st_checkpoint_require(ck, name, 2, word, &t->word, err);
    snprintf(name, sizeof name, "%sembeddings.position_embeddings.weight",
             prefix);
    if (!rc) rc = clip_load_f32(ck, name, 2, pos, &t->pos, err);
    snprintf(name, sizeof name, "%sembeddings.token_type_embeddings.weight",
             prefix);
    if (!rc) rc = clip_load_f32(ck, name, 2, type, &types, err);
    if (!rc) { /* only type 0 is ever used: keep that row */
        t->type0 = types;
        types = NULL;
    }
    snprintf(name, sizeof name, "%sembeddings.LayerNorm.", prefix);
    if (!rc) rc = clip_load_norm(ck, name, W, &t->ln_w, &t->ln_b, err);
    return rc;
}

int bert_text_create(const st_checkpoint *ck, const char *prefix,
                     const clip_tower_config *cfg, vlm_precision prec,
                     bert_text **out, char *err)
{
    *out = NULL;
    if (cfg->type_vocab_size < 1) {
        vlm_set_err(err, "text_config: type_vocab_size %d (need at least 1)",
                    cfg->type_vocab_size);
        return VLM_EFORMAT;
    }
    bert_text *t = calloc(1, sizeof *t);
    if (!t) return VLM_ENOMEM;
    t->cfg = *cfg;
    int rc = load_embeddings(t, ck, prefix, err);
    if (!rc) {
        char name[512];
        snprintf(name, sizeof name, "%sencoder.", prefix);
        rc = clip_encoder_load_layout(&t->enc, ck, name, &BERT_BLOCK_LAYOUT,
                                      cfg, cfg->num_layers, prec, err);
    }
    if (rc) {
        bert_text_destroy(t);
        return rc;
    }
    *out = t;
    return VLM_OK;
}

void bert_text_destroy(bert_text *t)
{
    if (!t) return;
    free(t->pos);
    free(t->type0);
    free(t->ln_w);
    free(t->ln_b);
    clip_encoder_free(&t->enc);
    free(t);
}

/* Real length of each row (up to its last non-zero id); checks the ids.
 * Returns the total, or -1 with err set. */
static long row_lengths(const bert_text *t, const int32_t *ids, int n, int ctx,
                        int *lens, char *err)
{
    long M = 0;
    for (int s = 0; s < n; s++) {
        const int32_t *row = ids + (size_t)s * ctx;
        int len = ctx;
        while (len > 1 && row[len - 1] == 0) len--;
        for (int i = 0; i < len; i++) {
            if (row[i] < 0 || row[i] >= t->cfg.vocab_size ||
                (row[i] == 0 && i < len - 1)) {
                vlm_set_err(err,
                            "token id %d (text %d, position %d) is outside "
                            "the vocabulary of %d or padding inside the text",
                            row[i], s, i, t->cfg.vocab_size);
                return -1;
            }
        }
        lens[s] = len;
        M += len;
    }
    return M;
}

static void embed(const bert_text *t, const int32_t *ids, int n, int ctx,
                  const int *lens, float *x)
{
    int W = t->cfg.hidden_size;
    float *row = x;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < lens[s]; i++, row += W) {
            clip_tensor_row(t->word, ids[(size_t)s * ctx + i], W, row);
            const float *p = t->pos + (size_t)i * W;
            for (int j = 0; j < W; j++) row[j] = row[j] + t->type0[j] + p[j];
        }
}

int bert_text_forward(const bert_text *t, const int32_t *ids, int n, int ctx,
                      float *pooled, float *hidden, char *err)
{
    int W = t->cfg.hidden_size;
    if (n <= 0) return VLM_OK;
    if (ctx <= 0 || ctx > t->cfg.max_positions) {
        vlm_set_err(err, "text context %d exceeds max_position_embeddings %d",
                    ctx, t->cfg.max_positions);
        return VLM_EINVAL;
    }
    int *lens = malloc((size_t)n * sizeof(int));
    if (!lens) return VLM_ENOMEM;
    long M = row_lengths(t, ids, n, ctx, lens, err);
    float *x = M > 0 ? malloc((size_t)M * W * sizeof(float)) : NULL;
    int rc = M < 0 ? VLM_EINVAL : x ? VLM_OK : VLM_ENOMEM;
    if (!rc) {
        embed(t, ids, n, ctx, lens, x);
        clip_layer_norm(x, x, (int)M, W, t->ln_w, t->ln_b,
                        t->cfg.layer_norm_eps);
        rc = clip_encoder_forward(&t->enc, x, lens, n, 0, NULL, err);
    }
    const float *src = x;
    if (!rc && hidden) memset(hidden, 0, (size_t)n * ctx * W * sizeof(float));
    for (int s = 0; !rc && s < n; src += (size_t)lens[s] * W, s++) {
        memcpy(pooled + (size_t)s * W, src, (size_t)W * sizeof(float));
        if (hidden)
            memcpy(hidden + (size_t)s * ctx * W, src,
                   (size_t)lens[s] * W * sizeof(float));
    }
    free(x);
    free(lens);
    return rc;
}
