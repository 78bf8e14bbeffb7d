/*
 * bert_basic.h — BERT's basic tokenizer, lower-casing variant, as the
 * original BERT / Chinese-CLIP FullTokenizer runs it (see the
 * tokenizer-chinese-bert section of the fixtures README):
 *
 *   1. clean: drop U+0000, U+FFFD and Cc/Cf characters other than \t \n \r;
 *      \t \n \r and Zs become spaces;
 *   2. CJK ideographs (the eight BERT ranges) get spaces around them;
 *   3. split at whitespace (Python's str.split());
 *   4. per word: Python str.lower() on the whole word, NFD, drop Mn;
 *   5. split off punctuation one character per token (ASCII 33-47, 58-64,
 *      91-96, 123-126 and every P* category).
 *
 * No special-token parsing ("[CLS]" in the text is plain text) and no NFKC.
 * Unicode properties come from utf8proc.
 */
#ifndef VLM_BERT_BASIC_H
#define VLM_BERT_BASIC_H

#include <stddef.h>

#include "model/tokenizer/utf8_codec.h"

/* Appends the words of text[0..len) (UTF-8; invalid bytes become U+FFFD
 * and are dropped) to out, each followed by a 0 code point.  VLM_OK or
 * VLM_ENOMEM. */
int bert_basic_tokenize(const char *text, size_t len, cp_buf *out);

#endif
