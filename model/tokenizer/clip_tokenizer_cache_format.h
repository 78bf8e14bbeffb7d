/*
 * clip_tokenizer_cache_format.h — layout of a tokenizer cache file.
 *
 *   header | byte ids | start[n_ids] | len[n_ids] | token bytes | merge slots
 *
 * Native byte order (the endian field rejects a foreign one); every section
 * starts 8-byte aligned, so the mmap'd arrays are used in place.  Bump
 * CLIP_CACHE_VERSION whenever this layout or the loader's meaning of the
 * sources changes, so old caches are rebuilt rather than misread.
 */
#ifndef VLM_CLIP_TOKENIZER_CACHE_FORMAT_H
#define VLM_CLIP_TOKENIZER_CACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_CACHE_MAGIC     "VLMCLIPT" /* 8 bytes, no NUL stored */
#define CLIP_CACHE_VERSION   1u
#define CLIP_CACHE_ENDIAN    0x01020304u
#define CLIP_CACHE_MAX_BYTES (1ull << 30) /* far above a real tokenizer */

enum {
    CLIP_SEC_BYTE_IDS, /* int32 byte_id[256] then byte_eow_id[256] */
    CLIP_SEC_START,    /* uint32 [n_ids]: offset of the id's bytes */
    CLIP_SEC_LEN,      /* uint32 [n_ids]: length of the id's bytes */
    CLIP_SEC_BYTES,    /* raw token bytes, back to back */
    CLIP_SEC_MERGES,   /* bpe_merge_table slot array */
    CLIP_SEC_COUNT
};

typedef struct {
    uint64_t off, size; /* bytes from the start of the file */
} clip_cache_section;

typedef struct {
    char magic[8];
    uint32_t version, endian;
    uint64_t key_hash, vocab_size, merges_size; /* clip_cache_key */
    uint64_t file_size;
    int32_t n_ids, sot, eot;
    int32_t max_merges; /* CLIP_MAX_MERGES of the writer */
    clip_cache_section sec[CLIP_SEC_COUNT];
    uint64_t checksum; /* clip_cache_checksum(); keep last */
} clip_cache_header;

_Static_assert(sizeof(clip_cache_header) % 8 == 0, "sections stay aligned");
_Static_assert(offsetof(clip_cache_header, checksum) + 8 ==
                   sizeof(clip_cache_header),
               "checksum is the last field");

#endif
