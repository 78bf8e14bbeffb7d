/*
 * clip_text.c — CLIP / SigLIP text tower over packed sequences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_encoder.h"
#include "model/clip/clip_tensors.h"
#include "model/clip/clip_text.h"

struct clip_text {
    clip_tower_config cfg;
    clip_text_pooling pooling;
    const st_tensor *tok_emb; /* [vocab, W], read row by row from the map */
    float *pos;               /* [max_positions, W] */
    float *final_w, *final_b;
    clip_encoder enc;
};

int clip_text_create(const st_checkpoint *ck, const char *prefix,
                     const clip_tower_config *cfg, clip_text_pooling pooling,
                     vlm_precision prec, clip_text **out, char *err)
{
    *out = NULL;
    clip_text *t = calloc(1, sizeof *t);
    if (!t) return VLM_ENOMEM;
    t->cfg = *cfg;
    t->pooling = pooling;
    char name[512];
    int64_t tok[2] = {cfg->vocab_size, cfg->hidden_size};
    int64_t pos[2] = {cfg->max_positions, cfg->hidden_size};
    snprintf(name, sizeof name, "%sembeddings.token_embedding.weight", prefix);
    int rc = st_checkpoint_require(ck, name, 2, tok, &t->tok_emb, err);
    if (!rc) {
        snprintf(name, sizeof name, "%sembeddings.position_embedding.weight",
                 prefix);
        rc = clip_load_f32(ck, name, 2, pos, &t->pos, err);
    }
    if (!rc) {
        snprintf(name, sizeof name, "%sfinal_layer_norm.", prefix);
        rc = clip_load_norm(ck, name, cfg->hidden_size, &t->final_w,
                            &t->final_b, err);
    }
    if (!rc) {
        snprintf(name, sizeof name, "%sencoder.", prefix);
        rc = clip_encoder_load(&t->enc, ck, name, cfg, cfg->num_layers, prec,
                               err);
    }
    if (rc) {
        clip_text_destroy(t);
        return rc;
    }
    *out = t;
    return VLM_OK;
}

void clip_text_destroy(clip_text *t)
{
    if (!t) return;
    free(t->pos);
    free(t->final_w);
    free(t->final_b);
    clip_encoder_free(&t->enc);
    free(t);
}

int clip_text_pool_index(const clip_tower_config *cfg, const int32_t *ids,
                         int ctx)
{
    int best = 0;
    if (cfg->eos_token_id == 2) { /* legacy configs: eos has the largest id */
        for (int i = 1; i < ctx; i++)
            if (ids[i] > ids[best]) best = i;
        return best;
    }
    for (int i = 0; i < ctx; i++)
        if (ids[i] == cfg->eos_token_id) return i;
    return 0;
}

/* Rows each text needs (up to and including its pooled token); checks the
 * ids.  Returns the total, or -1 with err set. */
static long text_lengths(const clip_text *t, const int32_t *ids, int n, int ctx,
                         int *lens, char *err)
{
    const clip_tower_config *c = &t->cfg;
    long M = 0;
    for (int s = 0; s < n; s++) {
        const int32_t *row = ids + (size_t)s * ctx;
        lens[s] = t->pooling == CLIP_TEXT_POOL_LAST
                      ? ctx
                      : clip_text_pool_index(c, row, ctx) + 1;
        M += lens[s];
        for (int i = 0; i < lens[s]; i++)
            if (row[i] < 0 || row[i] >= c->vocab_size) {
                vlm_set_err(err,
                            "token id %d (text %d, position %d) is outside "
                            "the vocabulary of %d",
                            row[i], s, i, c->vocab_size);
                return -1;
            }
    }
    return M;
}

static void embed(const clip_text *t, const int32_t *ids, int n, int ctx,
                  const int *lens, float *x)
{
    int W = t->cfg.hidden_size;
    float *row = x;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < lens[s]; i++, row += W) {
            clip_tensor_row(t->tok_emb, ids[(size_t)s * ctx + i], W, row);
            for (int j = 0; j < W; j++) row[j] += t->pos[(size_t)i * W + j];
        }
}

/* Packed rows -> [n, ctx, W] with zeros after each text's computed rows. */
static void unpack(const float *x, const int *lens, int n, int ctx, int W,
                   float *hidden)
{
    memset(hidden, 0, (size_t)n * ctx * W * sizeof(float));
    for (int s = 0; s < n; s++) {
        memcpy(hidden + (size_t)s * ctx * W, x, (size_t)lens[s] * W * 4);
        x += (size_t)lens[s] * W;
    }
}

int clip_text_forward(const clip_text *t, const int32_t *ids, int n, int ctx,
                      float *pooled, float *hidden, char *err)
{
    const clip_tower_config *c = &t->cfg;
    int W = c->hidden_size;
    if (n <= 0) return VLM_OK;
    if (ctx <= 0 || ctx > c->max_positions) {
        vlm_set_err(err, "text context %d exceeds max_position_embeddings %d",
                    ctx, c->max_positions);
        return VLM_EINVAL;
    }
    int *lens = malloc((size_t)n * sizeof(int));
    if (!lens) return VLM_ENOMEM;
    long M = text_lengths(t, ids, n, ctx, lens, err);
    float *x = M > 0 ? malloc((size_t)M * W * sizeof(float)) : NULL;
    int rc = M < 0 ? VLM_EINVAL : x ? VLM_OK : VLM_ENOMEM;
    if (!rc) {
        embed(t, ids, n, ctx, lens, x);
        rc = clip_encoder_forward(&t->enc, x, lens, n,
                                  t->pooling == CLIP_TEXT_POOL_EOS, NULL, err);
    }
    if (!rc && hidden) unpack(x, lens, n, ctx, W, hidden);
    size_t end = 0;
    for (int s = 0; !rc && s < n; s++) {
        end += lens[s];
        clip_layer_norm(x + (end - 1) * W, pooled + (size_t)s * W, 1, W,
                        t->final_w, t->final_b, c->layer_norm_eps);
    }
    free(x);
    free(lens);
    return rc;
}
