/* bpe_apply.c — see bpe_apply.h. */
#include "model/tokenizer/bpe_apply.h"

#include <stdlib.h>

#include "model/core/vlm_error.h"

struct bpe_candidate {
    int32_t rank, pos; /* pos: index of the left symbol */
};

#define DEAD (-1)

void bpe_work_free(bpe_work *w)
{
    free(w->prev);
    free(w->next);
    free(w->heap);
    free(w->batch);
    *w = (bpe_work){0};
}

static int grow(bpe_work *w, size_t n)
{
    if (n <= w->sym_cap) return VLM_OK;
    size_t heap_cap = 3 * n; /* n-1 initial pairs + at most 2 per merge */
    int32_t *prev = realloc(w->prev, n * sizeof *prev);
    if (prev) w->prev = prev;
    int32_t *next = realloc(w->next, n * sizeof *next);
    if (next) w->next = next;
    struct bpe_candidate *heap = realloc(w->heap, heap_cap * sizeof *heap);
    if (heap) w->heap = heap;
    struct bpe_candidate *batch = realloc(w->batch, heap_cap * sizeof *batch);
    if (batch) w->batch = batch;
    if (!prev || !next || !heap || !batch) return VLM_ENOMEM;
    w->sym_cap = n;
    w->heap_cap = heap_cap;
    return VLM_OK;
}

static int before(struct bpe_candidate a, struct bpe_candidate b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(bpe_work *w, struct bpe_candidate c)
{
    size_t i = w->heap_n++;
    while (i > 0 && before(c, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = c;
}

static struct bpe_candidate heap_pop(bpe_work *w)
{
    struct bpe_candidate top = w->heap[0], last = w->heap[--w->heap_n];
    size_t i = 0, n = w->heap_n;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(w->heap[child + 1], w->heap[child]))
            child++;
        if (!before(w->heap[child], last)) break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (n > 0) w->heap[i] = last;
    return top;
}

/* Queues the pair starting at pos if it has a rank. */
static void push_pair(const bpe_merge_table *m, const int32_t *sym, bpe_work *w,
                      int32_t pos)
{
    if (pos == DEAD || w->next[pos] == DEAD) return;
    int32_t merged;
    int32_t rank = bpe_merge_table_get(m, sym[pos], sym[w->next[pos]], &merged);
    if (rank >= 0) heap_push(w, (struct bpe_candidate){rank, pos});
}

/* Merges the pair at c.pos if it is still the pair c was queued for. */
static void merge_if_current(const bpe_merge_table *m, int32_t *sym,
                             bpe_work *w, struct bpe_candidate c)
{
    int32_t p = c.pos, q;
    if (sym[p] == DEAD || (q = w->next[p]) == DEAD) return;
    int32_t merged;
    if (bpe_merge_table_get(m, sym[p], sym[q], &merged) != c.rank)
        return; /* stale: a neighbour changed since it was queued */
    sym[p] = merged;
    sym[q] = DEAD;
    w->next[p] = w->next[q];
    if (w->next[q] != DEAD) w->prev[w->next[q]] = p;
    push_pair(m, sym, w, w->prev[p]);
    push_pair(m, sym, w, p);
}

int bpe_apply(const bpe_merge_table *m, int32_t *sym, size_t n, bpe_work *w,
              size_t *out_n)
{
    if (grow(w, n) != VLM_OK) return VLM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        w->prev[i] = (int32_t)i - 1;
        w->next[i] = i + 1 < n ? (int32_t)i + 1 : DEAD;
    }
    w->heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++) push_pair(m, sym, w, (int32_t)i);
    while (w->heap_n > 0) {
        /* The reference merges every occurrence of the best pair before it
         * looks at pairs those merges create, so take the whole rank first.
         * (A merge never creates a pair of the same rank.) */
        size_t nb = 0;
        int32_t rank = w->heap[0].rank;
        while (w->heap_n > 0 && w->heap[0].rank == rank)
            w->batch[nb++] = heap_pop(w);
        for (size_t i = 0; i < nb; i++)
            merge_if_current(m, sym, w, w->batch[i]);
    }
    size_t k = 0;
    for (int32_t p = n ? 0 : DEAD; p != DEAD; p = w->next[p]) sym[k++] = sym[p];
    *out_n = k;
    return VLM_OK;
}
