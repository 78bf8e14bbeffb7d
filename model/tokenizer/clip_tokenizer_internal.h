/*
 * clip_tokenizer_internal.h — the tokenizer's private state, shared by the
 * loader (clip_tokenizer_load.c) and the encoder/decoder (clip_tokenizer.c).
 */
#ifndef VLM_CLIP_TOKENIZER_INTERNAL_H
#define VLM_CLIP_TOKENIZER_INTERNAL_H

#include <stdint.h>

#include "model/tokenizer/bpe_merge_table.h"

/* CLIP keeps the first 49152 - 256 - 2 merges of merges.txt. */
#define CLIP_MAX_MERGES (49152 - 256 - 2)

struct clip_tokenizer {
    bpe_merge_table *merges;
    int32_t byte_id[256];     /* id of the token for a single byte */
    int32_t byte_eow_id[256]; /* ... for that byte + "</w>" (word end) */
    int32_t sot, eot;         /* <|startoftext|>, <|endoftext|> */
    int32_t n_ids;            /* largest id + 1 */
    char *bytes;              /* raw bytes of every token, back to back */
    uint32_t *start, *len;    /* id's bytes: bytes[start[id] .. +len[id]) */
};

#endif
