/*
 * vector_scan.c — run-time choice of the scan kernels (vector_scan.h) and
 * the bounded top-k heap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/core/cpu.h"
#include "schema/vector_scan.h"

typedef void (*dot_f32_fn)(const float *, const float *, size_t, size_t,
                           float *);
typedef void (*dot_u8_fn)(const float *, const uint8_t *, size_t, size_t,
                          float *);

#define DECLARE_KERNELS(isa)                                                \
    void vscan_dot_f32_##isa(const float *, const float *, size_t, size_t,  \
                             float *);                                      \
    void vscan_dot_u8_##isa(const float *, const uint8_t *, size_t, size_t, \
                            float *);

DECLARE_KERNELS(generic)
#ifdef VSCAN_HAVE_X86_VARIANTS
DECLARE_KERNELS(avx2)
DECLARE_KERNELS(avx512)
#endif

static struct {
    const char *isa;
    dot_f32_fn dot_f32;
    dot_u8_fn dot_u8;
} kernels;

/* The path model/core picked (cpu.h): one answer for the whole program. */
static void choose(void)
{
    vlm_isa isa = vlm_cpu_isa();
    (void)isa;
#ifdef VSCAN_HAVE_X86_VARIANTS
    if (isa == VLM_ISA_AVX512) {
        kernels.dot_f32 = vscan_dot_f32_avx512;
        kernels.dot_u8 = vscan_dot_u8_avx512;
        kernels.isa = "avx512";
        return;
    }
    if (isa == VLM_ISA_AVX2) {
        kernels.dot_f32 = vscan_dot_f32_avx2;
        kernels.dot_u8 = vscan_dot_u8_avx2;
        kernels.isa = "avx2";
        return;
    }
#endif
    kernels.dot_f32 = vscan_dot_f32_generic;
    kernels.dot_u8 = vscan_dot_u8_generic;
    kernels.isa = "generic";
}

static void ensure_chosen(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, choose);
}

void vscan_dot_f32(const float *q, const float *x, size_t n, size_t d,
                   float *out)
{
    ensure_chosen();
    kernels.dot_f32(q, x, n, d, out);
}

void vscan_dot_u8(const float *w, const uint8_t *codes, size_t n, size_t d,
                  float *out)
{
    ensure_chosen();
    kernels.dot_u8(w, codes, n, d, out);
}

const char *vscan_isa(void)
{
    ensure_chosen();
    return kernels.isa;
}

/* ------------------------------------------------------------------ */
/* Top-k: a min-heap on score, so the weakest kept pair sits at [0].    */
/* ------------------------------------------------------------------ */

void vscan_topk_init(vscan_topk *t, float *score, int64_t *id, int k)
{
    t->score = score;
    t->id = id;
    t->k = k;
    t->n = 0;
}

static void swap_at(vscan_topk *t, int a, int b)
{
    float s = t->score[a];
    int64_t i = t->id[a];
    t->score[a] = t->score[b], t->id[a] = t->id[b];
    t->score[b] = s, t->id[b] = i;
}

static void sift_down(vscan_topk *t, int i, int n)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && t->score[l] < t->score[m]) m = l;
        if (r < n && t->score[r] < t->score[m]) m = r;
        if (m == i) return;
        swap_at(t, i, m);
        i = m;
    }
}

void vscan_topk_push(vscan_topk *t, float score, int64_t id)
{
    if (t->k <= 0) return;
    if (t->n < t->k) {
        int i = t->n++;
        t->score[i] = score, t->id[i] = id;
        while (i > 0 && t->score[(i - 1) / 2] > t->score[i]) {
            swap_at(t, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    } else if (score > t->score[0]) {
        t->score[0] = score, t->id[0] = id;
        sift_down(t, 0, t->n);
    }
}

int vscan_topk_finish(vscan_topk *t)
{
    /* Heap sort: repeatedly move the weakest to the end -> best first. */
    for (int end = t->n - 1; end > 0; end--) {
        swap_at(t, 0, end);
        sift_down(t, 0, end);
    }
    return t->n;
}
