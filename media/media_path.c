#include "media/media_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *media_abspath(const char *path)
{
    char *r = realpath(path, NULL);
    if (r) return r;
    /* Resolve the parent and append the last component. */
    char *copy = strdup(path);
    if (!copy) return NULL;
    char *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    const char *parent = slash ? (slash == copy ? "/" : copy) : ".";
    if (slash) *slash = 0;
    char *p = realpath(parent, NULL);
    char *out = NULL;
    if (p) {
        size_t n = strlen(p) + strlen(base) + 2;
        out = malloc(n);
        if (out) snprintf(out, n, "%s/%s", strcmp(p, "/") ? p : "", base);
    }
    free(p);
    free(copy);
    return out;
}
