/* clip_tokenizer_cache_hash.c — XXH3 key and checksum of tokenizer caches
 * (see clip_tokenizer_cache.h).  xxhash is used header-only, so nothing
 * extra needs linking. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_cache_format.h"

clip_cache_key clip_cache_key_of(const char *vocab, size_t vocab_size,
                                 const char *merges, size_t merges_size)
{
    clip_cache_key k = {0, vocab_size, merges_size};
    uint64_t sizes[2] = {vocab_size, merges_size};
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, sizes, sizeof sizes); /* no ambiguous splits */
    XXH3_64bits_update(&st, vocab, vocab_size);
    XXH3_64bits_update(&st, merges, merges_size);
    k.hash = XXH3_64bits_digest(&st);
    return k;
}

uint64_t clip_cache_checksum(const void *file, size_t size)
{
    const char *p = file;
    size_t head = offsetof(clip_cache_header, checksum);
    uint64_t seed = XXH3_64bits(p, head);
    return XXH3_64bits_withSeed(p + sizeof(clip_cache_header),
                                size - sizeof(clip_cache_header), seed);
}
