#include "indexer/watch_dirty.h"

#include <stdlib.h>
#include <string.h>

#include "model/core/vlm_error.h"

bool watch_path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n && prefix[n - 1] == '/') n--; /* the root folder "/" */
    return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

int watch_dirty_add(watch_dirty *d, const char *path)
{
    if (d->overflow) return VLM_OK;
    for (int i = 0; i < d->n; i++)
        if (watch_path_under(path, d->paths[i])) return VLM_OK;
    int k = 0;
    for (int i = 0; i < d->n; i++) { /* drop what the new path covers */
        if (watch_path_under(d->paths[i], path))
            free(d->paths[i]);
        else
            d->paths[k++] = d->paths[i];
    }
    d->n = k;
    if (d->n == WATCH_DIRTY_MAX) {
        watch_dirty_clear(d);
        d->overflow = true;
        return VLM_OK;
    }
    if (!d->paths && !(d->paths = calloc(WATCH_DIRTY_MAX, sizeof *d->paths)))
        return VLM_ENOMEM;
    char *copy = strdup(path);
    if (!copy) return VLM_ENOMEM;
    d->paths[d->n++] = copy;
    return VLM_OK;
}

void watch_dirty_clear(watch_dirty *d)
{
    for (int i = 0; i < d->n; i++) free(d->paths[i]);
    d->n = 0;
    d->overflow = false;
}

void watch_dirty_free(watch_dirty *d)
{
    watch_dirty_clear(d);
    free(d->paths);
    d->paths = NULL;
}
