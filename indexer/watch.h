/*
 * watch.h — `vlmindex watch` / `serve --watch`: keep a collection's roots
 * in step with their folders while the process runs.
 *
 *   inotify (every folder under every root) --changed folders--> dirty set
 *     quiet for debounce_ms (or dirty for max_delay_ms) -> one pass:
 *     the dirty folders walked like `add` walks (folder_source_create_scan)
 *     -> the one batch writer (ingest.h) -> commit -> back to waiting.
 *
 * A pass reuses the folder source: unchanged files cost a lookup, moved
 * files keep their row and vector (content hash), vanished files are
 * deleted, and files modified less than settle_ms ago are left until their
 * size and mtime have settled.  A burst (a camera import of 1,000 files)
 * becomes a few passes, not 1,000.
 *
 * Where inotify sees nothing — network file systems (NFS, SMB/CIFS, FUSE,
 * 9p, Ceph), a root beyond the kernel's watch limit, or `poll` — the root
 * is rescanned whole every rescan_s seconds instead.
 *
 * Offline roots: a root that is missing, not a folder, or empty while the
 * collection holds rows under it (an unmounted disk leaves an empty mount
 * point) is offline: it is not scanned, so its rows are never dropped.
 * It is checked again every few seconds and scanned whole once it is back.
 */
#ifndef VLM_WATCH_H
#define VLM_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "indexer/indexer.h"

typedef enum watch_event_kind {
    WATCH_READY,        /* every root is watched (or polled) */
    WATCH_PASS,         /* a pass committed: paths, summary */
    WATCH_ROOT_OFFLINE, /* path: a root went offline (rows kept) */
    WATCH_ROOT_ONLINE,  /* path: it is back (a full scan follows) */
    WATCH_POLLING,      /* path: rescanned every rescan_s (message: why) */
} watch_event_kind;

typedef struct watch_event {
    watch_event_kind kind;
    const char *path;      /* the root, or NULL */
    const char *message;   /* why, for WATCH_POLLING; else NULL */
    int roots, polled;     /* WATCH_READY: roots watched, of them polled */
    int paths;             /* WATCH_PASS: folders/files walked */
    int unsettled;         /* WATCH_PASS: files left until they settle */
    indexer_summary delta; /* WATCH_PASS: what this pass changed */
} watch_event;

typedef struct watch_options {
    int debounce_ms;  /* quiet time before a pass; 0 = 500 */
    int max_delay_ms; /* a pass at least this often while events keep
                         coming; 0 = 5000 */
    int settle_ms;    /* files modified less than this ago wait; 0 = 2000 */
    int rescan_s;     /* rescan interval of polled roots; 0 = 300 */
    bool poll;        /* no inotify: every root is polled */
    bool no_initial;  /* skip the catch-up pass over every root at start */
    void (*on_event)(void *user, const watch_event *e); /* may be NULL */
    void *user;
} watch_options;

/* Watches every root of the collection until *o->cancel is set (then
 * VLM_OK; committed work is kept).  o->cancel must be set: the watch
 * never ends by itself.  Roots recorded later by another process are
 * picked up at the next rescan. */
int indexer_watch(collection *c, vector_index *vi, clip_model *m,
                  const watch_options *w, const indexer_options *o,
                  indexer_summary *s, char *err);

#endif
