/*
 * clip_tokenizer.h — CLIP's byte-level BPE tokenizer (vocab.json + merges.txt).
 *
 * Text is normalised like the reference (see shared/fixtures/README.md):
 * curly quotes, ligatures, full-width forms, control characters, NFC, HTML
 * unescape twice, whitespace collapse, Python-style full lowercase; split with
 * CLIP's pattern; BPE with the "</w>" end-of-word marker.  The result is
 * meant to be id-for-id the one of OpenAI CLIP's SimpleTokenizer.
 *
 * Input text is UTF-8; invalid bytes are not an error: each maximal invalid
 * subsequence becomes U+FFFD, like Python's decode(errors="replace").
 * HTML references: the full HTML5 named set, &#N; and &#xN;, with Python's
 * html.unescape() rules.  Not reproduced from ftfy: mojibake repair,
 * terminal-escape removal and its own HTML pass.
 *
 * A loaded tokenizer is read-only: encode/decode may run concurrently.
 */
#ifndef VLM_CLIP_TOKENIZER_H
#define VLM_CLIP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

#define CLIP_CONTEXT_LEN 77

typedef struct clip_tokenizer clip_tokenizer;

/* Loads DIR/vocab.json and DIR/merges.txt (first line skipped, at most
 * 49152-256-2 merges used, like CLIP).  Errors name the file: VLM_ENOTFOUND
 * / VLM_EIO when unreadable, VLM_EFORMAT when corrupt.
 * The parsed tables are cached in $VLMINDEX_CACHE_DIR (default
 * $XDG_CACHE_HOME/vlmindex or ~/.cache/vlmindex), keyed by a hash of both
 * files, so later loads skip parsing; VLMINDEX_NO_CACHE=1 turns this off.
 * A cache that cannot be read or written is never an error. */
int clip_tokenizer_create(const char *dir, clip_tokenizer **out, char *err);
/* Same from explicit file paths. */
int clip_tokenizer_create_files(const char *vocab_json, const char *merges_txt,
                                clip_tokenizer **out, char *err);
void clip_tokenizer_destroy(clip_tokenizer *tok);

int32_t clip_tokenizer_bos(const clip_tokenizer *tok); /* <|startoftext|> */
int32_t clip_tokenizer_eos(const clip_tokenizer *tok); /* <|endoftext|> */
/* Largest token id + 1 (49408 for CLIP). */
int32_t clip_tokenizer_vocab_size(const clip_tokenizer *tok);

/* BPE ids of `text` without start/end tokens.  Writes at most cap ids and
 * returns the total count (which may exceed cap), or a negative status. */
int clip_tokenizer_encode(const clip_tokenizer *tok, const char *text,
                          int32_t *ids, int cap, char *err);

/* start + ids + end, truncated to ctx with the end token kept last, padded
 * with `pad` (0 for the reference).  Returns the number of real tokens
 * (including start/end), or a negative status. */
int clip_tokenizer_encode_context(const clip_tokenizer *tok, const char *text,
                                  int32_t *ids, int ctx, int32_t pad,
                                  char *err);

/* Decode ids back to text like the reference: token bytes concatenated,
 * "</w>" -> " " (so the text usually ends with a space), broken UTF-8 ->
 * U+FFFD; ids outside the vocabulary are skipped.  Returns a malloc'd
 * string, or NULL on bad arguments / out of memory. */
char *clip_tokenizer_decode(const clip_tokenizer *tok, const int32_t *ids,
                            int n);

#endif
