/*
 * bpe_merge_table.h — hash table from a pair of token ids (left, right) to
 * the merge's rank (its line in merges.txt) and the id of the merged token.
 * Open addressing over a power-of-two array; built once, read-only after.
 */
#ifndef VLM_BPE_MERGE_TABLE_H
#define VLM_BPE_MERGE_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct bpe_merge_table bpe_merge_table;

/* Room for at least `count` merges.  VLM_OK or VLM_ENOMEM. */
int bpe_merge_table_create(size_t count, bpe_merge_table **out);
void bpe_merge_table_destroy(bpe_merge_table *t);

/* Adds or replaces (like the reference's dict) a merge; ids must be >= 0.
 * VLM_ETOOBIG if more merges than the table was created for. */
int bpe_merge_table_put(bpe_merge_table *t, int32_t left, int32_t right,
                        int32_t rank, int32_t merged);

/* Rank of the pair, or -1 if the pair never merges (then *merged untouched). */
int32_t bpe_merge_table_get(const bpe_merge_table *t, int32_t left,
                            int32_t right, int32_t *merged);

#endif
