/*
 * watch_roots.h — the roots a watch keeps in step: which inotify can
 * watch, which must be polled (which are online: session_roots.h).
 */
#ifndef VLM_WATCH_ROOTS_H
#define VLM_WATCH_ROOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/collection.h"

typedef struct watch_root {
    char *path;
    bool is_new;  /* added by the last watch_roots_load */
    bool polled;  /* rescanned whole every interval */
    bool offline; /* not scanned: its rows are kept */
    int64_t next_scan_ms;
} watch_root;

typedef struct watch_roots {
    watch_root *r;
    int n;
} watch_roots;

/* Adds the collection's roots not in the list yet (marked is_new; others
 * are unmarked).  Roots are never dropped while the watch runs. */
int watch_roots_load(watch_roots *wr, collection *c, char *err);
void watch_roots_free(watch_roots *wr);

/* The root `path` lies under (the longest), or NULL. */
watch_root *watch_roots_find(const watch_roots *wr, const char *path);

/* The name of the network file system `path` is on ("nfs", "smb", ...),
 * where inotify misses changes made by other machines; NULL when local. */
const char *watch_network_fs(const char *path);

#endif
