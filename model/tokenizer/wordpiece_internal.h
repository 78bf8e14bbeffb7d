/*
 * wordpiece_internal.h — the loaded vocabulary of a wordpiece_tokenizer
 * (wordpiece_vocab.c) as the encoder (wordpiece_tokenizer.c) reads it.
 */
#ifndef VLM_WORDPIECE_INTERNAL_H
#define VLM_WORDPIECE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/wordpiece_tokenizer.h"

struct wordpiece_tokenizer {
    char *text;     /* vocab.txt with each "\n" replaced by NUL */
    char **token;   /* id -> NUL-terminated token inside text */
    uint32_t *len;  /* id -> byte length */
    int32_t n;      /* vocabulary size */
    int32_t *slots; /* open-addressing table of ids, -1 = empty */
    size_t mask;    /* slots - 1 (a power of two minus one) */
    int max_chars;  /* longest token in code points */
    int32_t pad, unk, cls, sep;
};

/* Id of the bytes s[0..n), or -1. */
int32_t wordpiece_lookup(const wordpiece_tokenizer *t, const char *s, size_t n);

#endif
