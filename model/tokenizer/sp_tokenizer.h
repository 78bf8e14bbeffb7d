/*
 * sp_tokenizer.h — SentencePiece tokenizer (Llama-family `tokenizer.model`)
 * as a small C API over Debian's libsentencepiece.
 *
 *   sp_tokenizer *t;  char err[VLM_ERR_MAX];
 *   if (sp_tokenizer_load("ckpt/tokenizer.model", &t, err)) ...
 *   int n = sp_tokenizer_encode(t, "a photo", ids, cap, err);   // no BOS/EOS
 *   char *s = sp_tokenizer_decode(t, ids, n, err);              // free() it
 *   sp_tokenizer_destroy(t);
 *
 * Encoding is a plain SentencePiece encode: no BOS/EOS added, no special
 * token parsing (so "<image>" in text is ordinary characters).
 */
#ifndef VLM_SP_TOKENIZER_H
#define VLM_SP_TOKENIZER_H

#include <stdint.h>

#include "model/core/vlm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_tokenizer sp_tokenizer;

int sp_tokenizer_load(const char *model_path, sp_tokenizer **out, char *err);
void sp_tokenizer_destroy(sp_tokenizer *t);

/* Encodes text into at most `cap` ids.  Returns the number of ids (which may
 * exceed cap: then only the first cap were written and the caller should
 * retry with a larger buffer), or a negative VLM_E* code. */
int sp_tokenizer_encode(const sp_tokenizer *t, const char *text, int32_t *ids,
                        int cap, char *err);

/* Decodes ids into a malloc'd NUL-terminated UTF-8 string (NULL on error).
 * Control ids (BOS/EOS/pad) decode to nothing. */
char *sp_tokenizer_decode(const sp_tokenizer *t, const int32_t *ids, int n,
                          char *err);

int sp_tokenizer_vocab_size(const sp_tokenizer *t);
/* The piece string of an id (owned by the tokenizer), NULL if out of range. */
const char *sp_tokenizer_id_to_piece(const sp_tokenizer *t, int32_t id);
/* The id of a piece, or -1 if it is not in the vocabulary. */
int32_t sp_tokenizer_piece_to_id(const sp_tokenizer *t, const char *piece);
int32_t sp_tokenizer_bos_id(const sp_tokenizer *t);
int32_t sp_tokenizer_eos_id(const sp_tokenizer *t);

#ifdef __cplusplus
}
#endif

#endif
