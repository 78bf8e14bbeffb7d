/*
 * siglip_tokenizer.h — transformers' SiglipTokenizer over spiece.model
 * (SentencePiece through libsentencepiece, sp_tokenizer.h), id for id.
 * The rules (fixtures README, siglip-tiny section):
 *
 *   1. "▁" + text, every "▁" already in the text replaced by a space;
 *   2. lower-case one code point at a time (Python str.lower());
 *   3. split at the special tokens "</s>" and "<unk>", dropping whitespace
 *      next to them;
 *   4. every other part: delete ASCII punctuation, collapse whitespace runs
 *      to one space, strip; then SentencePiece with the dummy prefix off,
 *      encoded as if text preceded it (transformers encodes "<unk>" + part
 *      and drops the pieces of "<unk>");
 *   5. a leading "▁" piece right before a special token is dropped;
 *   6. the end token </s> (1) is appended unless the ids already end in it.
 *
 * libsentencepiece cannot switch the model's dummy prefix off, so step 4
 * encodes c + "<unk>" + part, where c is a character chosen at load such
 * that no piece spans "c<": every segmentation then splits right before
 * "<", and dropping the pieces of c and of "<unk>" leaves exactly what the
 * reference keeps.  A vocabulary with no such c is refused.
 *
 * A loaded tokenizer is read-only: encoding may run concurrently.
 */
#ifndef VLM_SIGLIP_TOKENIZER_H
#define VLM_SIGLIP_TOKENIZER_H

#include <stdint.h>

#include "model/core/vlm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct siglip_tokenizer siglip_tokenizer;

/* DIR/spiece.model. */
int siglip_tokenizer_create(const char *dir, siglip_tokenizer **out, char *err);
void siglip_tokenizer_destroy(siglip_tokenizer *t);

/* Steps 1-6: ids with the end token, not truncated or padded.  Writes at
 * most cap ids and returns the total count (which may exceed cap), or a
 * negative status. */
int siglip_tokenizer_encode(const siglip_tokenizer *t, const char *text,
                            int32_t *ids, int cap, char *err);

/* The model input (padding "max_length", truncation): the first ctx-1 ids
 * before the end token, the end token, then the pad token (= end token, 1)
 * up to ctx.  Returns the number of real ids (with the end token), or a
 * negative status. */
int siglip_tokenizer_encode_context(const siglip_tokenizer *t, const char *text,
                                    int32_t *ids, int ctx, char *err);

/* The piece string of an id (owned by t), NULL when out of range. */
const char *siglip_tokenizer_piece(const siglip_tokenizer *t, int32_t id);

#ifdef __cplusplus
}
#endif

#endif
