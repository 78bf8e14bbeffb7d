/*
 * clip_tokenizer_cache.h — on-disk cache of a loaded CLIP tokenizer, so that
 * a process can skip parsing vocab.json (json-c) and merges.txt.
 *
 * The cache file is keyed by a hash (XXH3-64) of both input files' bytes and
 * sizes, and holds the tables the encoder/decoder read, laid out so they are
 * used in place from an mmap (see clip_tokenizer_cache_format.h).  It is
 * untrusted input: anything wrong (magic, version, key, sizes, checksum,
 * offsets, ids) makes the load fail, and the caller then parses the sources
 * and rewrites the cache.  Writes are atomic (temp file, fsync, rename), so
 * concurrent processes only ever see whole files.
 *
 * Location: the vlmindex cache folder (model/core/vlm_cache.h:
 * $VLMINDEX_CACHE_DIR, $XDG_CACHE_HOME/vlmindex or ~/.cache/vlmindex);
 * VLMINDEX_NO_CACHE=1 turns the cache off.
 *
 * Internal to the tokenizer, apart from clip_tokenizer_loaded_from_cache()
 * and clip_cache_checksum(), which tests use.
 */
#ifndef VLM_CLIP_TOKENIZER_CACHE_H
#define VLM_CLIP_TOKENIZER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/clip_tokenizer.h"

/* What a cache file must match: identity of the two source files. */
typedef struct {
    uint64_t hash; /* XXH3-64 of sizes + vocab bytes + merges bytes */
    uint64_t vocab_size, merges_size;
} clip_cache_key;

clip_cache_key clip_cache_key_of(const char *vocab, size_t vocab_size,
                                 const char *merges, size_t merges_size);

/* Checksum stored in a cache file of `size` bytes (>= the header): covers
 * the header up to the checksum field and everything after the header. */
uint64_t clip_cache_checksum(const void *file, size_t size);

/* malloc'd path of the cache file for `key`, or NULL when caching is off
 * (VLMINDEX_NO_CACHE, no usable folder) or on out of memory. */
char *clip_cache_path(const clip_cache_key *key);

/* Fills a zeroed tok from the cache file at `path` (mmap'd, tables used in
 * place).  VLM_OK, or a negative status with tok left zeroed: missing,
 * unreadable or invalid file. */
int clip_cache_load(const char *path, const clip_cache_key *key,
                    clip_tokenizer *tok);

/* Releases what clip_cache_load mapped (no-op for a parsed tokenizer). */
void clip_cache_unmap(clip_tokenizer *tok);

/* Writes tok's tables to `path` atomically, creating the folder (0700).
 * VLM_OK or a negative status; callers ignore failures. */
int clip_cache_save(const char *path, const clip_cache_key *key,
                    const clip_tokenizer *tok);

/* 1 if tok's tables came from a cache file, 0 if it was parsed. */
int clip_tokenizer_loaded_from_cache(const clip_tokenizer *tok);

#endif
