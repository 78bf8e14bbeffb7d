/*
 * llava.h — a LlavaForConditionalGeneration checkpoint (llava-hf layout):
 * CLIP vision tower -> MLP projector -> Llama decoder, for captions and for
 * scoring how likely a phrase is given an image.
 *
 *   llava_model *m;  char err[VLM_ERR_MAX];
 *   llava_options o = llava_options_default();
 *   if (llava_load("ckpt", &o, &m, err)) { fprintf(stderr, "%s\n", err); ... }
 *   char *caption;
 *   llava_gen_opts g = llava_gen_opts_default();          // greedy, 64 tokens
 *   llava_caption(m, &rgb, NULL, &g, &caption, err);      // free(caption)
 *   llava_phrase_score sc;
 *   llava_score_phrase(m, &rgb, NULL, "floral dress", &sc, err);
 *   ... sc.total, sc.normalized, sc.per_token[i] ...
 *   llava_phrase_score_free(&sc);
 *   llava_destroy(m);
 *
 * Prompts: a string with one "<image>" marker, e.g. the default
 * "USER: <image>\nDescribe the image in one sentence. ASSISTANT:".  A prompt
 * without the marker is wrapped in the LLaVA-1.5 template
 * "USER: <image>\n%s ASSISTANT:".  The decoder input is
 * [BOS] + sp(before) + [image token] + sp(after), sp() a plain SentencePiece
 * encode, the image token replaced by the N projected patch embeddings.
 *
 * The model is read-only after load: calls on one model may run from several
 * threads (each call has its own KV cache), GEMM threads permitting.
 */
#ifndef VLM_LLAVA_H
#define VLM_LLAVA_H

#include <stdint.h>

#include "model/core/gemm.h"
#include "model/core/vlm_error.h"
#include "model/image/image.h"
#include "model/tokenizer/sp_tokenizer.h"

#define LLAVA_DEFAULT_PROMPT \
    "USER: <image>\nDescribe the image in one sentence. ASSISTANT:"

typedef struct llava_options {
    vlm_precision precision; /* F32 (parity) or BF16 weights */
    int threads;             /* this model's calls: 0 = all cores */
} llava_options;

llava_options llava_options_default(void);

typedef struct llava_model llava_model;

/* Loads DIR/config.json, DIR/preprocessor_config.json, DIR/tokenizer.model
 * and the safetensors checkpoint; every tensor's shape is checked against
 * the config and the first bad one is named in err. */
int llava_load(const char *dir, const llava_options *opts, llava_model **out,
               char *err);
void llava_destroy(llava_model *m);

/* ---- facts ---------------------------------------------------------------*/
const img_prep_params *llava_prep_params(const llava_model *m);
int llava_image_size(const llava_model *m); /* vision input S (pixels S x S) */
int llava_image_tokens(const llava_model *m); /* N embeddings per image */
int llava_vision_dim(const llava_model *m);   /* vision hidden_size */
int llava_text_dim(const llava_model *m);     /* decoder hidden_size */
int llava_vocab_size(const llava_model *m);
int32_t llava_eos_id(const llava_model *m);
const sp_tokenizer *llava_tokenizer(const llava_model *m);

/* ---- image side ----------------------------------------------------------*/
/* pixels: n planar CHW images (img_preprocess output, S x S).
 * features: n x N x vision_dim (selected layer, CLS dropped for "default"). */
int llava_image_features(llava_model *m, const float *pixels, int n,
                         float *features, char *err);
/* features (n x N x vision_dim) -> embeds (n x N x text_dim). */
int llava_project(llava_model *m, const float *features, int n, float *embeds,
                  char *err);
/* Both of the above: pixels -> embeds (n x N x text_dim). */
int llava_encode_pixels(llava_model *m, const float *pixels, int n,
                        float *embeds, char *err);
/* Decoded RGB -> preprocess -> embeds (N x text_dim). */
int llava_encode_image(llava_model *m, const img_rgb *image, float *embeds,
                       char *err);

/* ---- prompt --------------------------------------------------------------*/
/* The decoder ids of a prompt (NULL = default), with the single image token
 * still in place: *ids is malloc'd, *n its length. */
int llava_prompt_ids(const llava_model *m, const char *prompt, int32_t **ids,
                     int *n, char *err);

/* Logits of the last `last_k` positions of the prompt with the image
 * embeds spliced in: logits is last_k x vocab, in position order. */
int llava_prompt_logits(llava_model *m, const float *embeds, const char *prompt,
                        int last_k, float *logits, char *err);

/* ---- generation ----------------------------------------------------------*/
typedef struct llava_gen_opts {
    int max_tokens;    /* stop after this many new tokens */
    float temperature; /* <= 0: greedy (argmax) */
    float top_p;       /* nucleus sampling mass, (0, 1]; 1 = off */
    uint64_t seed;     /* sampling is reproducible for a given seed */
} llava_gen_opts;

llava_gen_opts llava_gen_opts_default(void); /* 64 tokens, greedy */

/* Generates into ids (at most cap, and at most opts->max_tokens), stopping
 * at EOS (not stored).  *n_out gets the number of ids written. */
int llava_generate(llava_model *m, const float *embeds, const char *prompt,
                   const llava_gen_opts *opts, int32_t *ids, int cap,
                   int *n_out, char *err);

/* Generate + detokenise: *text is malloc'd UTF-8 (free() it). */
int llava_caption_embeds(llava_model *m, const float *embeds,
                         const char *prompt, const llava_gen_opts *opts,
                         char **text, char *err);
int llava_caption(llava_model *m, const img_rgb *image, const char *prompt,
                  const llava_gen_opts *opts, char **text, char *err);

/* ---- phrase scoring (teacher forcing) ------------------------------------*/
typedef struct llava_phrase_score {
    double total;      /* sum of log p(token_i | prompt, image, tokens < i) */
    double normalized; /* total / n_tokens: the rerank score */
    int n_tokens;      /* sp(phrase), appended right after the prompt */
    float *per_token;  /* n_tokens log-probs, malloc'd */
} llava_phrase_score;

void llava_phrase_score_free(llava_phrase_score *s);

/* Scores n phrases against one image; the prompt (NULL = default) is run
 * once and its KV cache reused for every phrase.  out[n] must be freed with
 * llava_phrase_score_free each. */
int llava_score_phrases_embeds(llava_model *m, const float *embeds,
                               const char *prompt, const char *const *phrases,
                               int n, llava_phrase_score *out, char *err);
int llava_score_phrase(llava_model *m, const img_rgb *image, const char *prompt,
                       const char *phrase, llava_phrase_score *out, char *err);

#endif
