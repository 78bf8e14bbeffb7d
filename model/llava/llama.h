/*
 * llama.h — a Llama-family decoder (llama2.c style, fp32 activations):
 * RMSNorm, rotate-half RoPE, SwiGLU MLP, grouped-query attention, KV cache.
 *
 * The forward pass takes input *embeddings*, not ids, so a caller can splice
 * other vectors (projected image patches) into the sequence:
 *
 *   llama_model *m;   llama_load(ck, "language_model.", &cfg, VLM_PREC_F32, &m, err);
 *   llama_state *s;   llama_state_create(m, 512, &s, err);
 *   llama_embed_tokens(m, ids, n, x);                    // x: n x dim
 *   int last = n - 1;
 *   llama_forward(s, x, n, &last, 1, logits, err);       // all n in one batch
 *   llama_embed_tokens(m, &next, 1, x);
 *   llama_forward(s, x, 1, (int[]){0}, 1, logits, err); // one more position
 *
 * Every Linear goes through vlm_linear (model/core/gemm.h), so the precision
 * chosen at load (fp32 or bf16 weights) applies to all of them.  The model is
 * read-only after load; each llama_state is one independent sequence.
 */
#ifndef VLM_LLAMA_H
#define VLM_LLAMA_H

#include <stdint.h>

#include "model/core/gemm.h"
#include "model/core/vlm_error.h"
#include "model/weights/safetensors.h"

typedef struct llama_config {
    int dim;        /* hidden_size */
    int hidden_dim; /* intermediate_size */
    int n_layers;
    int n_heads;
    int n_kv_heads; /* grouped-query attention: n_heads % n_kv_heads == 0 */
    int vocab_size;
    int max_positions;
    float rms_eps;
    float rope_theta;
    int tie_embeddings; /* lm_head shares embed_tokens */
} llama_config;

/* Checks the numbers are positive and consistent; err says which. */
int llama_config_check(const llama_config *c, char *err);

typedef struct llama_model llama_model;

/* Loads `prefix`model.* and `prefix`lm_head.weight (the latter not used with
 * tie_embeddings), requiring every tensor with the shape the config implies.
 * The checkpoint must outlive the model (fp32 weights stay in its mapping). */
int llama_load(const st_checkpoint *ck, const char *prefix,
               const llama_config *cfg, vlm_precision prec, llama_model **out,
               char *err);
void llama_destroy(llama_model *m);
const llama_config *llama_model_config(const llama_model *m);
/* Threads for the calls of states created from now on (0 = all cores, the
 * default). */
void llama_set_threads(llama_model *m, int n);

/* Looks up n token embeddings into out (n x dim).  Ids must be in range. */
void llama_embed_tokens(const llama_model *m, const int32_t *ids, int n,
                        float *out);

typedef struct llama_state llama_state;

/* A KV cache for up to max_seq positions (<= max_positions). */
int llama_state_create(const llama_model *m, int max_seq, llama_state **out,
                       char *err);
void llama_state_destroy(llama_state *s);
/* Forgets every position from `pos` on (0 = empty), so a shared prefix
 * (the prompt) can be reused; pos must not exceed llama_state_pos(). */
void llama_state_rewind(llama_state *s, int pos);
int llama_state_pos(const llama_state *s); /* positions already cached */

/* Appends n positions whose input embeddings are x (n x dim, not modified)
 * and writes the logits of the rows listed in `rows` (indices into these n,
 * ascending or not) to logits (n_rows x vocab).  n_rows may be 0. */
int llama_forward(llama_state *s, const float *x, int n, const int *rows,
                  int n_rows, float *logits, char *err);

#endif
