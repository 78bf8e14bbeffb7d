/*
 * vlm_cache.h — where vlmindex keeps derived, rebuildable files (parsed
 * tokenizers, weight digests), and how they are written.
 *
 * Folder: $VLMINDEX_CACHE_DIR if set, else $XDG_CACHE_HOME/vlmindex (an
 * absolute XDG_CACHE_HOME only, as the XDG spec says), else
 * ~/.cache/vlmindex.  VLMINDEX_NO_CACHE set to anything but "0" turns every
 * cache off.  A cache is only ever an optimisation: callers treat a missing,
 * unreadable or unwritable cache as a miss, never as an error.
 */
#ifndef VLM_CACHE_H
#define VLM_CACHE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* malloc'd "<cache folder>/<name>", or NULL when caching is off, no folder
 * can be derived from the environment, or on out of memory. */
char *vlm_cache_path(const char *name);

/* Writes buf to path atomically: creates missing parent folders (0700), a
 * temp file in the same folder, fsync, rename.  Readers only ever see whole
 * files.  VLM_OK or a negative status (the temp file is removed). */
int vlm_cache_write(const char *path, const void *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
