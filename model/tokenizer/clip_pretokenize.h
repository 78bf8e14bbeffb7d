/*
 * clip_pretokenize.h — splits normalised text like CLIP's regex
 *   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|
 *   [\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+      (re.IGNORECASE)
 * scanning left to right and trying the alternatives in that order.
 */
#ifndef VLM_CLIP_PRETOKENIZE_H
#define VLM_CLIP_PRETOKENIZE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PRETOK_WORD,        /* goes through BPE */
    PRETOK_STARTOFTEXT, /* literal <|startoftext|> */
    PRETOK_ENDOFTEXT,   /* literal <|endoftext|> */
} pretok_kind;

typedef struct {
    size_t start, len;
    pretok_kind kind;
} pretok;

/* Finds the next token of s[0..n) at or after *pos and advances *pos past
 * it.  Returns 1 with *tok filled, or 0 when no token is left. */
int clip_pretokenize_next(const uint32_t *s, size_t n, size_t *pos,
                          pretok *tok);

#endif
