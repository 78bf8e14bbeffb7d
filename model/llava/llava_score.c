/* llava_score.c — log-likelihood of phrases given an image (teacher forcing). */
#include "model/llava/llava_internal.h"

#include <stdlib.h>
#include <string.h>

void llava_phrase_score_free(llava_phrase_score *s)
{
    if (!s) return;
    free(s->per_token);
    memset(s, 0, sizeof *s);
}

static int encode_phrase(const llava_model *m, const char *phrase,
                         int32_t **ids, int *n, char *err)
{
    *ids = NULL;
    int len = sp_tokenizer_encode(m->tok, phrase, NULL, 0, err);
    if (len < 0) return len;
    if (len == 0) {
        vlm_set_err(err, "phrase \"%s\" has no tokens", phrase);
        return VLM_EINVAL;
    }
    if (!(*ids = malloc(sizeof(int32_t) * (size_t)len))) {
        vlm_set_err(err, "out of memory tokenizing a phrase");
        return VLM_ENOMEM;
    }
    *n = sp_tokenizer_encode(m->tok, phrase, *ids, len, err);
    return VLM_OK;
}

/* With the prompt cached in st and its last logits in `first`: appends the
 * phrase, scores each token against the row before it, rewinds. */
static int score_one(llava_model *m, llama_state *st, const float *first,
                     const char *phrase, llava_phrase_score *out, char *err)
{
    const int vocab = m->cfg.text.vocab_size, dim = m->cfg.text.dim;
    const int prompt_len = llama_state_pos(st);
    int32_t *ids;
    int n;
    int rc = encode_phrase(m, phrase, &ids, &n, err);
    if (rc) return rc;
    /* Rows 0..n-2 of the phrase predict tokens 1..n-1; the last token's own
     * output is never needed, so only n-1 positions are run. */
    float *x = malloc(sizeof(float) * (size_t)n * dim);
    float *logits = malloc(sizeof(float) * (size_t)n * vocab);
    int *rows = malloc(sizeof(int) * (size_t)n);
    out->per_token = malloc(sizeof(float) * (size_t)n);
    if (!x || !logits || !rows || !out->per_token) {
        vlm_set_err(err, "out of memory scoring \"%s\"", phrase);
        rc = VLM_ENOMEM;
    }
    if (!rc) {
        memcpy(logits, first, sizeof(float) * vocab);
        for (int i = 0; i < n - 1; i++) rows[i] = i;
        llama_embed_tokens(m->decoder, ids, n - 1, x);
        if (n > 1)
            rc = llama_forward(st, x, n - 1, rows, n - 1, logits + vocab, err);
    }
    for (int i = 0; !rc && i < n; i++) {
        const double lp =
            llava_log_prob(logits + (size_t)i * vocab, vocab, ids[i]);
        out->per_token[i] = (float)lp;
        out->total += lp;
    }
    out->n_tokens = n;
    out->normalized = out->total / n;
    llama_state_rewind(st, prompt_len);
    free(rows);
    free(logits);
    free(x);
    free(ids);
    return rc;
}

static int longest_phrase(const llava_model *m, const char *const *phrases,
                          int n, char *err)
{
    int longest = 0;
    for (int i = 0; i < n; i++) {
        int len = sp_tokenizer_encode(m->tok, phrases[i], NULL, 0, err);
        if (len < 0) return len;
        if (len > longest) longest = len;
    }
    return longest;
}

int llava_score_phrases_embeds(llava_model *m, const float *embeds,
                               const char *prompt, const char *const *phrases,
                               int n, llava_phrase_score *out, char *err)
{
    memset(out, 0, sizeof *out * (size_t)n);
    int longest = longest_phrase(m, phrases, n, err);
    if (longest < 0) return longest;
    float *first = malloc(sizeof(float) * m->cfg.text.vocab_size);
    if (!first) {
        vlm_set_err(err, "out of memory for logits");
        return VLM_ENOMEM;
    }
    llama_state *st = NULL;
    int rc = llava_run_prompt(m, embeds, prompt, longest, 1, first, &st, err);
    for (int i = 0; !rc && i < n; i++)
        rc = score_one(m, st, first, phrases[i], &out[i], err);
    if (rc)
        for (int i = 0; i < n; i++) llava_phrase_score_free(&out[i]);
    llama_state_destroy(st);
    free(first);
    return rc;
}

int llava_score_phrase(llava_model *m, const img_rgb *image, const char *prompt,
                       const char *phrase, llava_phrase_score *out, char *err)
{
    memset(out, 0, sizeof *out);
    float *e =
        malloc(sizeof(float) * (size_t)m->n_image_tokens * m->cfg.text.dim);
    if (!e) {
        vlm_set_err(err, "out of memory for image embeddings");
        return VLM_ENOMEM;
    }
    int rc = llava_encode_image(m, image, e, err);
    if (!rc)
        rc = llava_score_phrases_embeds(m, e, prompt, &phrase, 1, out, err);
    free(e);
    return rc;
}
