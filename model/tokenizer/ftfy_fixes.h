/*
 * ftfy_fixes.h — the character-level part of ftfy.fix_text() that CLIP's
 * reference runs first: C1 controls read as Windows-1252, latin ligatures
 * and full-width forms to their NFKC form, curly quotes to straight ones,
 * control characters dropped.  (Mojibake repair is not reproduced.)
 */
#ifndef VLM_FTFY_FIXES_H
#define VLM_FTFY_FIXES_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/utf8_codec.h"

/* Appends the fixed form of in[0..n) to out.  VLM_OK or VLM_ENOMEM. */
int ftfy_fix_chars(const uint32_t *in, size_t n, cp_buf *out);

#endif
