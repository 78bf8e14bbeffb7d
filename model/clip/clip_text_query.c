/*
 * clip_text_query.c — strings -> the family's tokenizer -> text tower ->
 * embeddings.  The tokenizer is created on first use so image-only users
 * never read the tokenizer files.  Several strings go through the tower as
 * one batch: its weights are read once for all of them (a server batching
 * concurrent queries).
 */
#include <stdlib.h>

#include "model/clip/clip_model_internal.h"
#include "model/tokenizer/clip_tokenizer.h"
#include "model/tokenizer/siglip_tokenizer.h"
#include "model/tokenizer/wordpiece_tokenizer.h"

/* A tokenizer seen through void pointers: create from a folder, fill one
 * context row, destroy. */
typedef struct tok_ops {
    int (*create)(const char *dir, void **out, char *err);
    int (*encode)(const void *tok, const char *text, int32_t *ids, int ctx,
                  char *err);
    void (*destroy)(void *tok);
} tok_ops;

static int bpe_create(const char *dir, void **out, char *err)
{
    return clip_tokenizer_create(dir, (clip_tokenizer **)out, err);
}
static int bpe_encode(const void *tok, const char *text, int32_t *ids, int ctx,
                      char *err)
{
    return clip_tokenizer_encode_context(tok, text, ids, ctx, 0, err);
}
static void bpe_destroy(void *tok) { clip_tokenizer_destroy(tok); }

static int spm_create(const char *dir, void **out, char *err)
{
    return siglip_tokenizer_create(dir, (siglip_tokenizer **)out, err);
}
static int spm_encode(const void *tok, const char *text, int32_t *ids, int ctx,
                      char *err)
{
    return siglip_tokenizer_encode_context(tok, text, ids, ctx, err);
}
static void spm_destroy(void *tok) { siglip_tokenizer_destroy(tok); }

static int wp_create(const char *dir, void **out, char *err)
{
    return wordpiece_tokenizer_create(dir, (wordpiece_tokenizer **)out, err);
}
static int wp_encode(const void *tok, const char *text, int32_t *ids, int ctx,
                     char *err)
{
    return wordpiece_tokenizer_encode_context(tok, text, ids, ctx, err);
}
static void wp_destroy(void *tok) { wordpiece_tokenizer_destroy(tok); }

static const tok_ops TOKENIZERS[] = {
    [CLIP_FAMILY_CLIP] = {bpe_create, bpe_encode, bpe_destroy},
    [CLIP_FAMILY_SIGLIP] = {spm_create, spm_encode, spm_destroy},
    [CLIP_FAMILY_CHINESE_CLIP] = {wp_create, wp_encode, wp_destroy},
};

int clip_tokenize(clip_model *m, const char *text, int32_t *ids, char *err)
{
    const tok_ops *ops = &TOKENIZERS[m->cfg.family];
    if (!m->tok) {
        int rc = ops->create(m->tokenizer_dir, &m->tok, err);
        if (rc) return rc;
        m->tok_destroy = ops->destroy;
    }
    return ops->encode(m->tok, text, ids, m->cfg.text_context, err);
}

int clip_encode_texts(clip_model *m, const char *const *texts, int n,
                      float *embeds, char *err)
{
    size_t ctx = (size_t)m->cfg.text_context;
    int32_t *ids = malloc((size_t)(n > 0 ? n : 1) * ctx * sizeof *ids);
    if (!ids) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++) {
        int k = clip_tokenize(m, texts[i], ids + (size_t)i * ctx, err);
        if (k < 0) rc = k;
    }
    if (!rc) rc = clip_encode_text_ids(m, ids, n, embeds, NULL, err);
    free(ids);
    return rc;
}

int clip_encode_text(clip_model *m, const char *text, float *embed, char *err)
{
    return clip_encode_texts(m, &text, 1, embed, err);
}
