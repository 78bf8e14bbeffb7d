/* clip_tokenizer_cache_path.c — the cache file name of a tokenizer (the
 * folder and its environment variables: model/core/vlm_cache.h). */
#include <stdio.h>

#include "model/core/vlm_cache.h"
#include "model/tokenizer/clip_tokenizer_cache.h"

char *clip_cache_path(const clip_cache_key *key)
{
    char name[64];
    snprintf(name, sizeof name, "tokenizer-%016llx.bin",
             (unsigned long long)key->hash);
    return vlm_cache_path(name);
}
