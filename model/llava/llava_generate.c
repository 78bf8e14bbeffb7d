/* llava_generate.c — greedy / temperature + top-p decoding with a KV cache. */
#include "model/llava/llava_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

llava_gen_opts llava_gen_opts_default(void)
{
    return (llava_gen_opts){
        .max_tokens = 64, .temperature = 0.0f, .top_p = 1.0f, .seed = 0};
}

/* splitmix64: a tiny, seedable, platform-independent generator. */
static double next_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static int32_t argmax(const float *v, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

typedef struct prob_id {
    float p;
    int32_t id;
} prob_id;

static int by_prob_desc(const void *a, const void *b)
{
    const float pa = ((const prob_id *)a)->p, pb = ((const prob_id *)b)->p;
    return (pa < pb) - (pa > pb);
}

/* Samples from softmax(logits / T) restricted to the smallest set of most
 * likely tokens whose mass reaches top_p.  `work` holds vocab entries. */
static int32_t sample(const float *logits, int vocab, const llava_gen_opts *o,
                      uint64_t *rng, prob_id *work)
{
    const float mx = logits[argmax(logits, vocab)];
    double sum = 0;
    for (int i = 0; i < vocab; i++) {
        work[i].p = expf((logits[i] - mx) / o->temperature);
        work[i].id = i;
        sum += work[i].p;
    }
    int n = vocab;
    if (o->top_p > 0 && o->top_p < 1) {
        qsort(work, (size_t)vocab, sizeof *work, by_prob_desc);
        double mass = 0;
        for (n = 0; n < vocab && mass < o->top_p * sum; n++) mass += work[n].p;
        sum = mass;
    }
    double r = next_uniform(rng) * sum;
    for (int i = 0; i < n; i++) {
        r -= work[i].p;
        if (r <= 0) return work[i].id;
    }
    return work[n - 1].id;
}

static int check_opts(const llava_gen_opts *o, char *err)
{
    if (o->max_tokens < 0 ||
        (o->temperature > 0 && !(o->top_p > 0 && o->top_p <= 1))) {
        vlm_set_err(err,
                    "generation options: max_tokens %d must be >= 0 and "
                    "top_p %g in (0, 1]",
                    o->max_tokens, (double)o->top_p);
        return VLM_EINVAL;
    }
    return VLM_OK;
}

/* The decoding loop after the prompt: logits holds the last prompt row. */
static int decode_loop(llava_model *m, llama_state *st, float *logits,
                       const llava_gen_opts *o, int32_t *ids, int cap,
                       int *n_out, char *err)
{
    const int vocab = m->cfg.text.vocab_size,
              limit = o->max_tokens < cap ? o->max_tokens : cap;
    prob_id *work = o->temperature > 0 ? malloc(sizeof *work * vocab) : NULL;
    float *x = malloc(sizeof(float) * m->cfg.text.dim);
    uint64_t rng = o->seed;
    int rc = (!x || (o->temperature > 0 && !work)) ? VLM_ENOMEM : VLM_OK;
    if (rc) vlm_set_err(err, "out of memory generating");
    for (int n = 0; !rc && n < limit; n++) {
        const int32_t id = o->temperature > 0
                               ? sample(logits, vocab, o, &rng, work)
                               : argmax(logits, vocab);
        if (id == m->cfg.eos_id) break;
        ids[(*n_out)++] = id;
        if (n + 1 == limit) break; /* no need to run the last token */
        llama_embed_tokens(m->decoder, &id, 1, x);
        rc = llama_forward(st, x, 1, (const int[]){0}, 1, logits, err);
    }
    free(x);
    free(work);
    return rc;
}

int llava_generate(llava_model *m, const float *embeds, const char *prompt,
                   const llava_gen_opts *opts, int32_t *ids, int cap,
                   int *n_out, char *err)
{
    const llava_gen_opts o = opts ? *opts : llava_gen_opts_default();
    *n_out = 0;
    int rc = check_opts(&o, err);
    if (rc) return rc;
    float *logits = malloc(sizeof(float) * m->cfg.text.vocab_size);
    if (!logits) {
        vlm_set_err(err, "out of memory for logits");
        return VLM_ENOMEM;
    }
    const int limit = o.max_tokens < cap ? o.max_tokens : cap;
    llama_state *st = NULL;
    rc = llava_run_prompt(m, embeds, prompt, limit, 1, logits, &st, err);
    if (!rc) rc = decode_loop(m, st, logits, &o, ids, cap, n_out, err);
    llama_state_destroy(st);
    free(logits);
    return rc;
}

int llava_caption_embeds(llava_model *m, const float *embeds,
                         const char *prompt, const llava_gen_opts *opts,
                         char **text, char *err)
{
    *text = NULL;
    const int cap =
        opts ? opts->max_tokens : llava_gen_opts_default().max_tokens;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(cap > 0 ? cap : 1));
    if (!ids) {
        vlm_set_err(err, "out of memory generating");
        return VLM_ENOMEM;
    }
    int n = 0, kept = 0;
    int rc = llava_generate(m, embeds, prompt, opts, ids, cap, &n, err);
    /* Ids past the SentencePiece vocabulary are added tokens (<image>,
     * <pad>, vocab padding rows): they have no text, like HF's
     * skip_special_tokens. */
    const int vocab = sp_tokenizer_vocab_size(m->tok);
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < vocab) ids[kept++] = ids[i];
    if (!rc && !(*text = sp_tokenizer_decode(m->tok, ids, kept, err)))
        rc = VLM_EFORMAT;
    free(ids);
    return rc;
}

int llava_caption(llava_model *m, const img_rgb *image, const char *prompt,
                  const llava_gen_opts *opts, char **text, char *err)
{
    *text = NULL;
    float *e =
        malloc(sizeof(float) * (size_t)m->n_image_tokens * m->cfg.text.dim);
    if (!e) {
        vlm_set_err(err, "out of memory for image embeddings");
        return VLM_ENOMEM;
    }
    int rc = llava_encode_image(m, image, e, err);
    if (!rc) rc = llava_caption_embeds(m, e, prompt, opts, text, err);
    free(e);
    return rc;
}
