/*
 * wordpiece_tokenizer.h — BERT WordPiece over vocab.txt, with BERT's basic
 * tokenizer (bert_basic.h) in front: what Chinese-CLIP's upstream
 * FullTokenizer (do_lower_case) does.
 *
 * vocab.txt: one token a line, id = 0-based line number, lines split at
 * "\n" only (the Chinese BERT vocabulary has U+2028 as a token: a reader
 * that also breaks at Unicode line separators misnumbers everything after
 * it).  Words: greedy longest match from the left, continuation pieces
 * prefixed "##"; a word that cannot be covered, or is longer than 200
 * characters, becomes one [UNK].
 *
 *   wordpiece_tokenizer *t;  char err[VLM_ERR_MAX];
 *   if (wordpiece_tokenizer_create("ckpt", &t, err)) ...      // ckpt/vocab.txt
 *   int32_t ids[52];
 *   wordpiece_tokenizer_encode_context(t, "碎花连衣裙", ids, 52, err);
 *   wordpiece_tokenizer_destroy(t);
 *
 * A loaded tokenizer is read-only: encode/decode may run concurrently.
 */
#ifndef VLM_WORDPIECE_TOKENIZER_H
#define VLM_WORDPIECE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct wordpiece_tokenizer wordpiece_tokenizer;

/* DIR/vocab.txt.  Errors name the file: VLM_ENOTFOUND / VLM_EIO when
 * unreadable, VLM_EFORMAT when a special token ([PAD] [UNK] [CLS] [SEP]) is
 * missing. */
int wordpiece_tokenizer_create(const char *dir, wordpiece_tokenizer **out,
                               char *err);
int wordpiece_tokenizer_create_file(const char *vocab_txt,
                                    wordpiece_tokenizer **out, char *err);
void wordpiece_tokenizer_destroy(wordpiece_tokenizer *t);

int32_t wordpiece_tokenizer_vocab_size(const wordpiece_tokenizer *t);
/* The token string of an id (owned by t), or NULL when out of range. */
const char *wordpiece_tokenizer_token(const wordpiece_tokenizer *t, int32_t id);
/* The id of a token string, or -1. */
int32_t wordpiece_tokenizer_id(const wordpiece_tokenizer *t, const char *tok);

/* Ids of `text` without special tokens, not truncated.  Writes at most cap
 * ids and returns the total count (which may exceed cap), or a negative
 * status. */
int wordpiece_tokenizer_encode(const wordpiece_tokenizer *t, const char *text,
                               int32_t *ids, int cap, char *err);
/* The same for text[0..len), which may hold NUL bytes (dropped like every
 * other control character). */
int wordpiece_tokenizer_encode_n(const wordpiece_tokenizer *t, const char *text,
                                 size_t len, int32_t *ids, int cap, char *err);

/* The model input: [CLS], the first ctx-2 ids, [SEP], then [PAD] (0) up to
 * ctx.  Returns the number of real tokens (with [CLS] and [SEP]), or a
 * negative status. */
int wordpiece_tokenizer_encode_context(const wordpiece_tokenizer *t,
                                       const char *text, int32_t *ids, int ctx,
                                       char *err);

/* transformers' decode with clean-up: tokens joined by spaces, " ##"
 * removed, stripped, then " ." " ?" " !" " ," " ' " " n't" " 'm" " 's"
 * " 've" " 're" lose their space.  Ids outside the vocabulary are skipped.
 * malloc'd, NULL on out of memory. */
char *wordpiece_tokenizer_decode(const wordpiece_tokenizer *t,
                                 const int32_t *ids, int n);

#endif
