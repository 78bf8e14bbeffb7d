/*
 * clip_text_query.c — one string -> tokenizer -> text tower -> embedding.
 * The tokenizer is created on first use so image-only users never read
 * vocab.json.
 */
#include "model/clip/clip_model_internal.h"
#include "model/tokenizer/clip_tokenizer.h"

int clip_encode_text(clip_model *m, const char *text, float *embed, char *err)
{
    if (!m->tok) {
        int rc = clip_tokenizer_create(m->tokenizer_dir, &m->tok, err);
        if (rc) return rc;
        m->tok_destroy = clip_tokenizer_destroy;
    }
    int32_t ids[CLIP_TEXT_CONTEXT];
    int n = clip_tokenizer_encode_context(m->tok, text, ids, CLIP_TEXT_CONTEXT,
                                          0, err);
    if (n < 0) return n;
    return clip_encode_text_ids(m, ids, 1, embed, NULL, err);
}
