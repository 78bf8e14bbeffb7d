/*
 * llava_internal.h — what the llava_*.c files share; not a public header.
 */
#ifndef VLM_LLAVA_INTERNAL_H
#define VLM_LLAVA_INTERNAL_H

#include "model/clip/clip_vision.h"
#include "model/llava/llama.h"
#include "model/llava/llava.h"
#include "model/llava/llava_config.h"

struct llava_model {
    llava_config cfg;
    st_checkpoint *ck;
    sp_tokenizer *tok;
    clip_vision *vision;
    vlm_weight *proj1, *proj2;
    float *proj1_bias, *proj2_bias;
    llama_model *decoder;
    int n_image_tokens;
    int threads; /* the image side runs on this many (threads.h) */
};

/* A prompt laid out for the decoder: ids with the image token in place and
 * where it sits. */
typedef struct llava_seq {
    int32_t *ids;
    int n_ids;
    int image_at; /* index of the image token in ids */
    int n_embeds; /* n_ids - 1 + N: positions the decoder sees */
} llava_seq;

int llava_seq_build(const llava_model *m, const char *prompt, llava_seq *s,
                    char *err);
void llava_seq_free(llava_seq *s);

/* Runs the prompt (with the image embeds spliced in) through a fresh state
 * sized for `extra` more positions; writes the logits of the last `last_k`
 * positions.  On success *state is the caller's. */
int llava_run_prompt(llava_model *m, const float *embeds, const char *prompt,
                     int extra, int last_k, float *logits, llama_state **state,
                     char *err);

/* Log-softmax of one logit row, evaluated at one id. */
double llava_log_prob(const float *logits, int vocab, int32_t id);

#endif
