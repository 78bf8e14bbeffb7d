/*
 * merge.h — `vlmindex merge`: one collection from several (the shards of
 * `add --shard K/N`, or any collections of one model).
 *
 *   check every source first: it opens, has a model, the same model as the
 *   others and as OUT (else VLM_EMISMATCH naming both), shard specs of one
 *   N without repeats -> bind OUT's model -> each source in one
 *   transaction (collection_merge_from: rows keyed by path, only what
 *   changed moves) -> the vector index once at the end: built from SQLite
 *   when OUT has none yet (trained on a sample, like any rebuild), else
 *   caught up with the changed rows only.
 *
 * Running it again after some shards were updated is incremental; a source
 * left out of a later run keeps the rows it brought before.
 */
#ifndef VLM_MERGE_H
#define VLM_MERGE_H

#include <signal.h>

#include "schema/collection.h"
#include "schema/vector_index.h"

typedef struct merge_summary {
    int sources;                  /* collections merged */
    int shard_count;              /* N of the sources' shard specs, or 0 */
    int shards_missing;           /* of those N, how many were not given */
    collection_merge_counts rows; /* totals over the sources */
    double seconds;
} merge_summary;

typedef struct merge_options {
    /* Called after each source is committed (may be NULL). */
    void (*on_source)(void *user, const char *dir,
                      const collection_merge_counts *n);
    void *user;
    volatile sig_atomic_t *cancel; /* checked between sources */
} merge_options;

/* The checks of indexer_merge that need no output collection: every
 * source opens, has a model, the same as the others, and shard specs of
 * one N without repeats; out_dir (may be NULL) is none of them.  Run it
 * before creating OUT, so that a refused merge leaves nothing behind. */
int indexer_merge_check(const char *out_dir, const char *const *dirs, int n,
                        char *err);

/* Merges the collections in dirs[0..n) into `out`.  vi: out's open vector
 * index, or NULL when out had none (a new collection); then one is built
 * and saved here.  o may be NULL.  VLM_EINTERRUPTED when cancelled between
 * sources (merged sources are kept; the index is brought up to date). */
int indexer_merge(collection *out, vector_index *vi, const char *const *dirs,
                  int n, const merge_options *o, merge_summary *s, char *err);

#endif
