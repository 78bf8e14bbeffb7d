/*
 * watch_dirty.h — the paths a watch must look at again, coalesced: a path
 * under another one in the set adds nothing, and adding a folder drops
 * the paths under it (a walk of the folder covers them).
 */
#ifndef VLM_WATCH_DIRTY_H
#define VLM_WATCH_DIRTY_H

#include <stdbool.h>

#define WATCH_DIRTY_MAX 512 /* beyond this, look at whole roots instead */

typedef struct watch_dirty {
    char **paths;
    int n;
    bool overflow; /* more than WATCH_DIRTY_MAX: every root is dirty */
} watch_dirty;

/* 0, or VLM_ENOMEM. */
int watch_dirty_add(watch_dirty *d, const char *path);

/* True when path is `prefix` or lies under `prefix/`. */
bool watch_path_under(const char *path, const char *prefix);

/* Empties the set (and clears overflow). */
void watch_dirty_clear(watch_dirty *d);
void watch_dirty_free(watch_dirty *d); /* clear + release the storage */

#endif
