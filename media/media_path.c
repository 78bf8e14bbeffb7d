#include "media/media_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A path whose parent is gone too (an unplugged disk, an offline root):
 * absolute as given, without resolving links. */
static char *unresolved_abspath(const char *path)
{
    if (path[0] == '/') return strdup(path);
    char *cwd = getcwd(NULL, 0);
    size_t n = cwd ? strlen(cwd) + strlen(path) + 2 : 0;
    char *out = cwd ? malloc(n) : NULL;
    if (out) snprintf(out, n, "%s/%s", cwd, path);
    free(cwd);
    return out;
}

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
    return out || errno == ENOMEM ? out : unresolved_abspath(path);
}
