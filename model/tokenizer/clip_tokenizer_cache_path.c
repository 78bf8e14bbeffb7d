/* clip_tokenizer_cache_path.c — where tokenizer caches live (environment
 * variables, see clip_tokenizer_cache.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer/clip_tokenizer_cache.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *clip_cache_path(const clip_cache_key *key)
{
    const char *off = env("VLMINDEX_NO_CACHE");
    if (off && strcmp(off, "0") != 0) return NULL;
    const char *dir = env("VLMINDEX_CACHE_DIR"), *base = NULL, *sub = "";
    if (!dir) {
        const char *xdg = env("XDG_CACHE_HOME");
        /* The XDG spec says relative values are invalid and to be ignored. */
        if (xdg && xdg[0] == '/') {
            base = xdg;
            sub = "/vlmindex";
        } else if ((base = env("HOME"))) {
            sub = "/.cache/vlmindex";
        } else {
            return NULL;
        }
    }
    const char *fmt = "%s%s/tokenizer-%016llx.bin";
    const char *root = dir ? dir : base;
    int n = snprintf(NULL, 0, fmt, root, sub, (unsigned long long)key->hash);
    char *path = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (path)
        snprintf(path, (size_t)n + 1, fmt, root, sub,
                 (unsigned long long)key->hash);
    return path;
}
