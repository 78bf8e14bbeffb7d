/* llava_prompt.c — prompt text -> decoder ids -> embeddings -> prefill. */
#include "model/llava/llava_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char IMAGE_MARKER[] = "<image>";

/* Makes room for `need` ids in s->ids. */
static int reserve(llava_seq *s, int *cap, int need)
{
    if (need <= *cap) return VLM_OK;
    int32_t *ids = realloc(s->ids, sizeof(int32_t) * (size_t)need);
    if (!ids) return VLM_ENOMEM;
    s->ids = ids;
    *cap = need;
    return VLM_OK;
}

static int push_id(llava_seq *s, int *cap, int32_t id)
{
    if (s->n_ids == *cap && reserve(s, cap, 2 * *cap + 16)) return VLM_ENOMEM;
    s->ids[s->n_ids++] = id;
    return VLM_OK;
}

/* Appends sp(text) to s->ids, retrying once with the exact size needed. */
static int append_text(const llava_model *m, const char *text, llava_seq *s,
                       int *cap, char *err)
{
    for (;;) {
        int n = sp_tokenizer_encode(m->tok, text, s->ids + s->n_ids,
                                    *cap - s->n_ids, err);
        if (n < 0) return n;
        if (s->n_ids + n <= *cap) {
            s->n_ids += n;
            return VLM_OK;
        }
        if (reserve(s, cap, s->n_ids + n)) return VLM_ENOMEM;
    }
}

/* Splits the prompt at its "<image>" marker into before/after copies,
 * wrapping a marker-less prompt in the LLaVA-1.5 template. */
static int split_prompt(const char *prompt, char **before, const char **after,
                        char *err)
{
    if (!prompt) prompt = LLAVA_DEFAULT_PROMPT;
    const char *mark = strstr(prompt, IMAGE_MARKER);
    if (mark && strstr(mark + 1, IMAGE_MARKER)) {
        vlm_set_err(err, "prompt has more than one %s marker", IMAGE_MARKER);
        return VLM_EINVAL;
    }
    if (!mark) {
        /* "USER: " + image + "\n" + prompt + " ASSISTANT:" */
        static const char pre[] = "USER: ";
        *before = strdup(pre);
        char *a = malloc(strlen(prompt) + 16);
        if (a) sprintf(a, "\n%s ASSISTANT:", prompt);
        *after = a;
        if (!*before || !a) return VLM_ENOMEM;
        return VLM_OK;
    }
    *before = strndup(prompt, (size_t)(mark - prompt));
    *after = mark + strlen(IMAGE_MARKER);
    return *before ? VLM_OK : VLM_ENOMEM;
}

int llava_seq_build(const llava_model *m, const char *prompt, llava_seq *s,
                    char *err)
{
    memset(s, 0, sizeof *s);
    char *before = NULL;
    const char *after = NULL;
    int rc = split_prompt(prompt, &before, &after, err);
    const int wrapped = prompt && !strstr(prompt, IMAGE_MARKER);
    int cap = 0;
    if (!rc) rc = push_id(s, &cap, m->cfg.bos_id);
    if (!rc) rc = append_text(m, before, s, &cap, err);
    if (!rc) {
        s->image_at = s->n_ids;
        rc = push_id(s, &cap, m->cfg.image_token);
    }
    if (!rc) rc = append_text(m, after, s, &cap, err);
    free(before);
    if (wrapped) free((char *)after);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory building the prompt");
    if (rc) {
        llava_seq_free(s);
        return rc;
    }
    s->n_embeds = s->n_ids - 1 + m->n_image_tokens;
    return VLM_OK;
}

void llava_seq_free(llava_seq *s)
{
    free(s->ids);
    memset(s, 0, sizeof *s);
}

int llava_prompt_ids(const llava_model *m, const char *prompt, int32_t **ids,
                     int *n, char *err)
{
    llava_seq s;
    int rc = llava_seq_build(m, prompt, &s, err);
    if (rc) return rc;
    *ids = s.ids;
    *n = s.n_ids;
    return VLM_OK;
}

/* Decoder input: token embeddings with the image's N rows spliced in. */
static float *seq_embeddings(const llava_model *m, const llava_seq *s,
                             const float *image)
{
    const int dim = m->cfg.text.dim, N = m->n_image_tokens;
    float *x = malloc(sizeof(float) * (size_t)s->n_embeds * dim);
    if (!x) return NULL;
    llama_embed_tokens(m->decoder, s->ids, s->image_at, x);
    memcpy(x + (size_t)s->image_at * dim, image,
           sizeof(float) * (size_t)N * dim);
    llama_embed_tokens(m->decoder, s->ids + s->image_at + 1,
                       s->n_ids - s->image_at - 1,
                       x + (size_t)(s->image_at + N) * dim);
    return x;
}

int llava_run_prompt(llava_model *m, const float *embeds, const char *prompt,
                     int extra, int last_k, float *logits, llama_state **state,
                     char *err)
{
    *state = NULL;
    llava_seq s;
    int rc = llava_seq_build(m, prompt, &s, err);
    if (rc) return rc;
    if (last_k < 0 || last_k > s.n_embeds) {
        vlm_set_err(err, "asked for the last %d of %d prompt positions", last_k,
                    s.n_embeds);
        llava_seq_free(&s);
        return VLM_EINVAL;
    }
    const int ctx = s.n_embeds + (extra > 0 ? extra : 0);
    float *x = seq_embeddings(m, &s, embeds);
    int *rows = malloc(sizeof(int) * (size_t)(last_k + 1));
    if (!x || !rows) {
        vlm_set_err(err, "out of memory embedding the prompt");
        rc = VLM_ENOMEM;
    } else if (ctx > m->cfg.text.max_positions) {
        vlm_set_err(err,
                    "prompt of %d positions plus %d new tokens exceeds the "
                    "decoder's %d positions",
                    s.n_embeds, extra, m->cfg.text.max_positions);
        rc = VLM_ETOOBIG;
    } else {
        rc = llama_state_create(m->decoder, ctx, state, err);
    }
    for (int i = 0; !rc && i < last_k; i++) rows[i] = s.n_embeds - last_k + i;
    if (!rc)
        rc = llama_forward(*state, x, s.n_embeds, rows, last_k, logits, err);
    if (rc) {
        llama_state_destroy(*state);
        *state = NULL;
    }
    free(rows);
    free(x);
    llava_seq_free(&s);
    return rc;
}

int llava_prompt_logits(llava_model *m, const float *embeds, const char *prompt,
                        int last_k, float *logits, char *err)
{
    llama_state *st;
    int rc = llava_run_prompt(m, embeds, prompt, 0, last_k, logits, &st, err);
    llama_state_destroy(st);
    return rc;
}

double llava_log_prob(const float *logits, int vocab, int32_t id)
{
    float mx = logits[0];
    for (int i = 1; i < vocab; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0;
    for (int i = 0; i < vocab; i++) sum += exp((double)logits[i] - mx);
    return (double)logits[id] - mx - log(sum);
}
