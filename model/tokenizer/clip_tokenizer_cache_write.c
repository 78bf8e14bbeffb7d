/* clip_tokenizer_cache_write.c — saving a parsed tokenizer as a cache file
 * (see clip_tokenizer_cache.h): the whole image is built in memory, then
 * written atomically (vlm_cache_write), so readers never see a partial
 * file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/core/vlm_cache.h"
#include "model/core/vlm_error.h"
#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_cache_format.h"
#include "model/tokenizer/clip_tokenizer_internal.h"

static uint64_t align8(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* Header with section offsets filled in; returns the file size. */
static size_t lay_out(const clip_tokenizer *tok, const clip_cache_key *key,
                      clip_cache_header *h)
{
    size_t n_slots;
    bpe_merge_table_slots(tok->merges, &n_slots);
    uint64_t sizes[CLIP_SEC_COUNT] = {
        [CLIP_SEC_BYTE_IDS] = sizeof tok->byte_id + sizeof tok->byte_eow_id,
        [CLIP_SEC_START] = (uint64_t)tok->n_ids * sizeof *tok->start,
        [CLIP_SEC_LEN] = (uint64_t)tok->n_ids * sizeof *tok->len,
        [CLIP_SEC_BYTES] = tok->n_bytes,
        [CLIP_SEC_MERGES] = n_slots * bpe_merge_table_slot_size(),
    };
    *h = (clip_cache_header){
        .version = CLIP_CACHE_VERSION,
        .endian = CLIP_CACHE_ENDIAN,
        .key_hash = key->hash,
        .vocab_size = key->vocab_size,
        .merges_size = key->merges_size,
        .n_ids = tok->n_ids,
        .sot = tok->sot,
        .eot = tok->eot,
        .max_merges = CLIP_MAX_MERGES,
    };
    memcpy(h->magic, CLIP_CACHE_MAGIC, 8);
    uint64_t off = sizeof *h;
    for (int s = 0; s < CLIP_SEC_COUNT; s++) {
        h->sec[s] = (clip_cache_section){off, sizes[s]};
        off = align8(off + sizes[s]);
    }
    h->file_size = off;
    return (size_t)off;
}

/* The complete file image (malloc'd), checksum included. */
static char *build_image(const clip_tokenizer *tok, const clip_cache_key *key,
                         size_t *size)
{
    clip_cache_header h;
    *size = lay_out(tok, key, &h);
    char *img = calloc(1, *size); /* zeroed padding: deterministic bytes */
    if (!img) return NULL;
    size_t n_slots;
    const void *slots = bpe_merge_table_slots(tok->merges, &n_slots);
    const void *src[CLIP_SEC_COUNT] = {
        [CLIP_SEC_START] = tok->start,
        [CLIP_SEC_LEN] = tok->len,
        [CLIP_SEC_BYTES] = tok->bytes,
        [CLIP_SEC_MERGES] = slots,
    };
    memcpy(img + h.sec[CLIP_SEC_BYTE_IDS].off, tok->byte_id,
           sizeof tok->byte_id);
    memcpy(img + h.sec[CLIP_SEC_BYTE_IDS].off + sizeof tok->byte_id,
           tok->byte_eow_id, sizeof tok->byte_eow_id);
    for (int s = CLIP_SEC_START; s < CLIP_SEC_COUNT; s++)
        if (h.sec[s].size) memcpy(img + h.sec[s].off, src[s], h.sec[s].size);
    memcpy(img, &h, sizeof h);
    h.checksum = clip_cache_checksum(img, *size);
    memcpy(img, &h, sizeof h);
    return img;
}

int clip_cache_save(const char *path, const clip_cache_key *key,
                    const clip_tokenizer *tok)
{
    size_t size;
    char *img = build_image(tok, key, &size);
    if (!img) return VLM_ENOMEM;
    int rc = vlm_cache_write(path, img, size);
    free(img);
    return rc;
}
