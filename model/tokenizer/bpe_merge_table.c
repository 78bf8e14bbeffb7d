/* bpe_merge_table.c — see bpe_merge_table.h. */
#include "model/tokenizer/bpe_merge_table.h"

#include <stdlib.h>

#include "model/core/vlm_error.h"

#define EMPTY_KEY UINT64_MAX

typedef struct {
    uint64_t key;
    int32_t rank, merged;
} merge_slot;

struct bpe_merge_table {
    merge_slot *slots;
    size_t mask, used, limit;
    int borrowed; /* slots belong to the caller (a view) */
};

static uint64_t pair_key(int32_t left, int32_t right)
{
    return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
}

static size_t slot_of(const bpe_merge_table *t, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & t->mask;
}

int bpe_merge_table_create(size_t count, bpe_merge_table **out)
{
    *out = NULL;
    bpe_merge_table *t = calloc(1, sizeof *t);
    if (!t) return VLM_ENOMEM;
    size_t cap = 16;
    while (cap < 2 * count + 1) /* load factor <= 1/2 keeps probes short */
        cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return VLM_ENOMEM;
    }
    for (size_t i = 0; i < cap; i++) t->slots[i].key = EMPTY_KEY;
    t->mask = cap - 1;
    t->limit = count;
    *out = t;
    return VLM_OK;
}

void bpe_merge_table_destroy(bpe_merge_table *t)
{
    if (!t) return;
    if (!t->borrowed) free(t->slots);
    free(t);
}

int bpe_merge_table_put(bpe_merge_table *t, int32_t left, int32_t right,
                        int32_t rank, int32_t merged)
{
    if (t->borrowed) return VLM_EINVAL;
    uint64_t key = pair_key(left, right);
    size_t i = slot_of(t, key);
    while (t->slots[i].key != EMPTY_KEY && t->slots[i].key != key)
        i = (i + 1) & t->mask;
    if (t->slots[i].key == EMPTY_KEY) {
        if (t->used == t->limit) return VLM_ETOOBIG;
        t->used++;
    }
    t->slots[i] = (merge_slot){key, rank, merged};
    return VLM_OK;
}

int32_t bpe_merge_table_get(const bpe_merge_table *t, int32_t left,
                            int32_t right, int32_t *merged)
{
    uint64_t key = pair_key(left, right);
    for (size_t i = slot_of(t, key);; i = (i + 1) & t->mask) {
        const merge_slot *s = &t->slots[i];
        if (s->key == key) {
            *merged = s->merged;
            return s->rank;
        }
        if (s->key == EMPTY_KEY) return -1;
    }
}

size_t bpe_merge_table_slot_size(void) { return sizeof(merge_slot); }

const void *bpe_merge_table_slots(const bpe_merge_table *t, size_t *n_slots)
{
    *n_slots = t->mask + 1;
    return t->slots;
}

/* Every lookup ends at a free slot, and every id it yields is one the
 * encoder may index with, so a hostile array cannot hang or misindex. */
static int slots_valid(const merge_slot *s, size_t n, int32_t n_ids)
{
    size_t free_slots = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].key == EMPTY_KEY) {
            free_slots++;
            continue;
        }
        uint32_t left = (uint32_t)(s[i].key >> 32), right = (uint32_t)s[i].key;
        if (left >= (uint32_t)n_ids || right >= (uint32_t)n_ids ||
            s[i].rank < 0 || s[i].merged < 0 || s[i].merged >= n_ids)
            return 0;
    }
    return free_slots > 0;
}

int bpe_merge_table_view(const void *slots, size_t n_slots, int32_t n_ids,
                         bpe_merge_table **out)
{
    *out = NULL;
    if (n_slots < 16 || (n_slots & (n_slots - 1)) != 0 || n_ids <= 0 ||
        ((uintptr_t)slots % _Alignof(merge_slot)) != 0 ||
        !slots_valid(slots, n_slots, n_ids))
        return VLM_EFORMAT;
    bpe_merge_table *t = calloc(1, sizeof *t);
    if (!t) return VLM_ENOMEM;
    t->slots = (merge_slot *)slots; /* never written: put() refuses views */
    t->mask = n_slots - 1;
    t->borrowed = 1;
    *out = t;
    return VLM_OK;
}
