/*
 * clip_tokenizer_internal.h — the tokenizer's private state, shared by the
 * loader (clip_tokenizer_load.c), the cache (clip_tokenizer_cache_*.c) and
 * the encoder/decoder (clip_tokenizer.c).
 */
#ifndef VLM_CLIP_TOKENIZER_INTERNAL_H
#define VLM_CLIP_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/bpe_merge_table.h"

/* CLIP keeps the first 49152 - 256 - 2 merges of merges.txt. */
#define CLIP_MAX_MERGES   (49152 - 256 - 2)
#define CLIP_MAX_TOKEN_ID (1 << 24) /* far above any real vocabulary */

struct clip_tokenizer {
    bpe_merge_table *merges;
    int32_t byte_id[256];     /* id of the token for a single byte */
    int32_t byte_eow_id[256]; /* ... for that byte + "</w>" (word end) */
    int32_t sot, eot;         /* <|startoftext|>, <|endoftext|> */
    int32_t n_ids;            /* largest id + 1 */
    char *bytes;              /* raw bytes of every token, back to back */
    uint32_t *start, *len;    /* id's bytes: bytes[start[id] .. +len[id]) */
    size_t n_bytes;           /* used length of bytes */
    /* Set when loaded from a cache file: bytes/start/len and the merge
     * slots then point into this read-only mapping instead of the heap. */
    void *map;
    size_t map_size;
};

#endif
