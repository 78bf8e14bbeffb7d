/*
 * weights_digest.h — a digest of every byte of a weights file, computed once
 * and then remembered.
 *
 * The digest is XXH3-64 over the whole file (safetensors header and tensor
 * data).  Reading a multi-gigabyte checkpoint takes seconds, so the result
 * is cached in the vlmindex cache folder (model/core/vlm_cache.h), one small
 * file per weights file, keyed by the file's device, inode, size,
 * modification time and status-change time: any rewrite of the file (even
 * one that restores the old mtime, like `cp -p` over it) changes the ctime
 * and forces a rehash.  A cache entry that is missing, unreadable, for
 * another file state or damaged is simply recomputed; failing to write one
 * is not an error.
 */
#ifndef VLM_WEIGHTS_DIGEST_H
#define VLM_WEIGHTS_DIGEST_H

#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct st_digest {
    uint64_t xxh3;  /* XXH3-64 of the file's bytes */
    uint64_t size;  /* file size in bytes */
    int from_cache; /* 1 when taken from the cache, 0 when the file was read */
} st_digest;

/* Digest of the file at `path`.  VLM_OK, or VLM_ENOTFOUND / VLM_EIO with err
 * naming the file. */
int st_file_digest(const char *path, st_digest *out, char *err);

#endif
