/*
 * walk.h — folder walk for `vlmindex add`, with fts(3): the depth of a
 * tree costs heap, never stack, so a folder nested thousands of levels
 * deep is walked like any other.
 *
 * Follows symbolic links (to folders too) but never enters the same folder
 * twice (device + inode), so link loops end.  Skips anything matching one
 * of the exclude globs, tested against both the entry's name and its full
 * path (excludes_match; the indexer passes the defaults of excludes.h,
 * hidden entries among them).  Yields regular files only, in name order
 * within each folder.
 *
 * An entry that cannot be visited — permission denied, a dangling symbolic
 * link, a path longer than PATH_MAX, an I/O error — is reported to
 * on_error with its path and the reason, and the walk goes on.  Entries
 * that are deliberately left out (excluded, devices, sockets, FIFOs) are
 * not reported.
 */
#ifndef VLM_WALK_H
#define VLM_WALK_H

#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct walk_file {
    const char *path; /* absolute, normalised */
    int64_t size;
    int64_t mtime_ns;
} walk_file;

/* Return non-zero to stop the walk (that value is returned by walk_tree). */
typedef int (*walk_cb)(const walk_file *f, void *user);
/* An entry the walk had to skip (see above); the walk goes on. */
typedef void (*walk_error_cb)(const char *path, const char *reason, void *user);

typedef struct walk_options {
    const char *const *excludes; /* fnmatch globs */
    int n_excludes;
    walk_error_cb on_error; /* may be NULL */
} walk_options;

/* root may be a folder or a single file.  Returns VLM_OK, the callback's
 * non-zero value, or an error when root itself is unusable or the walk
 * cannot go on (out of memory). */
int walk_tree(const char *root, const walk_options *opts, walk_cb cb,
              void *user, char *err);

#endif
