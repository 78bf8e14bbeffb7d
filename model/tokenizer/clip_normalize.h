/*
 * clip_normalize.h — CLIP's text clean-up before splitting:
 * whitespace_clean(basic_clean(text)).lower() of the reference, i.e. the
 * ftfy character fixes, NFC, html.unescape twice, strip, collapse of
 * whitespace runs to one space, and Python's full lowercase.
 */
#ifndef VLM_CLIP_NORMALIZE_H
#define VLM_CLIP_NORMALIZE_H

#include <stddef.h>

#include "model/tokenizer/utf8_codec.h"

/* Normalises text[0..len) (invalid UTF-8 -> U+FFFD) into out, which is
 * reset first.  VLM_OK or VLM_ENOMEM. */
int clip_normalize(const char *text, size_t len, cp_buf *out);

#endif
