/*
 * bpe_merge_table.h — hash table from a pair of token ids (left, right) to
 * the merge's rank (its line in merges.txt) and the id of the merged token.
 * Open addressing over a power-of-two array; built once, read-only after.
 * The slot array can be saved as is and later used in place (a "view" over
 * memory the caller owns, e.g. an mmap'd cache file), so loading it needs
 * no per-entry work beyond validation.
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

/* Size in bytes of one slot of the raw array (for laying out files). */
size_t bpe_merge_table_slot_size(void);

/* The raw slot array and its number of slots, for saving. */
const void *bpe_merge_table_slots(const bpe_merge_table *t, size_t *n_slots);

/* A read-only table over a slot array saved from bpe_merge_table_slots
 * (8-byte aligned; must outlive the table).  The array is untrusted: it must
 * be a power of two >= 16 slots with at least one free slot, every pair and
 * merged id in [0, n_ids) and every rank >= 0, else VLM_EFORMAT.  put() on a
 * view returns VLM_EINVAL. */
int bpe_merge_table_view(const void *slots, size_t n_slots, int32_t n_ids,
                         bpe_merge_table **out);

#endif
