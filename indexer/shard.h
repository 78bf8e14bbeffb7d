/*
 * shard.h — which slice of the files a shard collection holds.
 *
 * `vlmindex add --shard K/N` indexes only the files whose key hashes to K
 * modulo N (0 <= K < N), so N machines (a Slurm array: K is
 * $SLURM_ARRAY_TASK_ID with --array=0-(N-1)) split one archive without
 * talking to each other, and `vlmindex merge` joins their collections.
 *
 * The key is stable across machines and runs: a file's path relative to
 * the root it was found under (the same archive mounted at /mnt/a on one
 * node and /data on another gives the same slice), or an instance's SOP
 * Instance UID for DICOMweb sources.  The hash is XXH3-64 of the key's
 * bytes (seed 0), a fixed function of the bytes on every CPU.
 *
 * The spec is recorded in the collection (meta key "shard") by the first
 * sharded add; later adds and `update` use the recorded spec, and a
 * different one is refused.
 */
#ifndef VLM_SHARD_H
#define VLM_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/collection.h"

#define SHARD_MAX_COUNT 1000000

typedef struct shard_spec {
    int k, n; /* this shard and the number of shards; n == 0: no sharding */
} shard_spec;

/* "K/N" with 0 <= K < N <= SHARD_MAX_COUNT; VLM_EINVAL with the reason. */
int shard_parse(const char *text, shard_spec *out, char *err);

/* "K/N" into buf (at least 24 bytes). */
void shard_format(const shard_spec *s, char *buf, size_t size);

/* Whether `key` (len bytes) belongs to shard s; always true when s->n == 0. */
bool shard_contains(const shard_spec *s, const char *key, size_t len);

/* The key of a file found under `root`: its path relative to root, or its
 * base name when root is the file itself. */
const char *shard_relative_key(const char *root, const char *path);

/* The collection's recorded spec (n == 0 when it is not a shard). */
int shard_get(collection *c, shard_spec *out, char *err);

/* Records `want` (want->n > 0) in a collection, or checks it against the
 * recorded one.  Refused (VLM_EINVAL) when another spec is recorded, or
 * when the collection already holds images without a spec (a shard must
 * start empty, or it would keep other shards' files). */
int shard_record(collection *c, const shard_spec *want, char *err);

#endif
