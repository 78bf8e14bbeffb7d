/*
 * bpe_apply.h — byte-pair merging of one pre-token, with the reference's
 * exact semantics: repeatedly take the lowest-ranked adjacent pair and merge
 * all its occurrences left to right, until no pair has a rank.
 *
 * A min-heap of candidate pairs keyed by (rank, position) makes this
 * O(n log n) instead of the reference's O(n^2), which matters for very long
 * "words" (a 1 MB run of letters is a single pre-token).
 */
#ifndef VLM_BPE_APPLY_H
#define VLM_BPE_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/bpe_merge_table.h"

/* Scratch memory reused across calls; zero-initialise, free with
 * bpe_work_free. */
typedef struct {
    int32_t *prev, *next;
    struct bpe_candidate *heap, *batch;
    size_t sym_cap, heap_cap, heap_n;
} bpe_work;

void bpe_work_free(bpe_work *w);

/* Merges the symbol ids sym[0..n) in place; *out_n receives the number of
 * resulting ids.  VLM_OK or VLM_ENOMEM. */
int bpe_apply(const bpe_merge_table *merges, int32_t *sym, size_t n,
              bpe_work *w, size_t *out_n);

#endif
