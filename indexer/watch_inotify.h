/*
 * watch_inotify.h — inotify over folder trees, read as "this path changed".
 *
 * Every folder under a root gets a watch (hidden folders skipped, symbolic
 * links to folders followed; a folder reached twice keeps one watch).  A
 * changed file reports its folder; a folder created, moved in, deleted or
 * moved away reports itself (and new folders get watches at once, so files
 * written into them right after are seen).  Moving a folder keeps its
 * watches and renames them.
 */
#ifndef VLM_WATCH_INOTIFY_H
#define VLM_WATCH_INOTIFY_H

#include "model/core/vlm_error.h"

typedef struct watch_inotify watch_inotify;

int watch_inotify_create(watch_inotify **out, char *err);
void watch_inotify_destroy(watch_inotify *w); /* NULL-safe */

/* For poll(): readable when events are pending. */
int watch_inotify_fd(const watch_inotify *w);

/* Watches dir and every folder under it.  VLM_ETOOBIG when the kernel's
 * watch limit (fs.inotify.max_user_watches) was reached: some folders are
 * not watched, so the caller polls that root. */
int watch_inotify_add_tree(watch_inotify *w, const char *dir, char *err);

enum {
    WATCH_CHANGED = 1,  /* path changed: look at it again */
    WATCH_OVERFLOW = 2, /* events were lost: look at everything */
    WATCH_GONE = 3,     /* a watched folder or its file system went away */
};

/* Reads what is pending without blocking and calls cb for each change
 * (path is NULL for WATCH_OVERFLOW).  Returns the number of events read,
 * or a VLM_E* error. */
int watch_inotify_read(watch_inotify *w,
                       void (*cb)(void *user, int what, const char *path),
                       void *user);

#endif
