/*
 * unicode_props.h — the few Unicode predicates, case mapping and
 * normalisation forms the tokenizers need (CLIP's BPE, BERT's basic
 * tokenizer), with Python's definitions, on top of utf8proc's tables.
 */
#ifndef VLM_UNICODE_PROPS_H
#define VLM_UNICODE_PROPS_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/utf8_codec.h"

/* Python str.isspace(): bidi class WS, B or S, or category Zs. */
int uc_is_space(uint32_t c);
/* \p{L} and \p{N}. */
int uc_is_letter(uint32_t c);
int uc_is_number(uint32_t c);

/* General category tests. */
int uc_is_control_or_format(uint32_t c); /* Cc or Cf */
int uc_is_space_separator(uint32_t c);   /* Zs */
int uc_is_nonspacing_mark(uint32_t c);   /* Mn */
int uc_is_punctuation(uint32_t c);       /* P* */

/* Appends Python's str.lower() of in[0..n) to out: full mapping (U+0130 ->
 * "i\u0307") and the Final_Sigma rule for U+03A3.  VLM_OK or VLM_ENOMEM. */
int uc_lower_python(const uint32_t *in, size_t n, cp_buf *out);

/* Appends NFKC(c) to out (used for ligatures and full-width forms). */
int uc_push_nfkc(uint32_t c, cp_buf *out);

/* Replaces b's contents with their NFC form.  VLM_OK or VLM_ENOMEM. */
int uc_nfc_inplace(cp_buf *b);

/* Appends NFD(in[0..n)) to out.  VLM_OK or VLM_ENOMEM. */
int uc_push_nfd(const uint32_t *in, size_t n, cp_buf *out);

#endif
