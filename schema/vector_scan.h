/*
 * vector_scan.h — the inner loops of a vector-index search: the scores of
 * one query against a block of stored vectors, and a bounded top-k.
 *
 * Stored vectors come in two codes:
 *   - float32 (flat lists, coarse centroids): out[i] = <q, x_i>;
 *   - 8-bit scalar-quantised (SQ8): out[i] = sum_j w[j] * code_i[j], where
 *     the caller folds the quantiser's per-dimension scale into w and adds
 *     its offset afterwards (see faiss_c_impl.cpp).
 *
 * Each kernel exists for the build's baseline ISA and, on x86-64, for AVX2
 * (x86-64-v3) and AVX-512 (x86-64-v4); the best one the CPU supports is
 * chosen once, at the first call.  VLMINDEX_MAX_ISA=avx512|avx2|generic
 * caps the choice (for tests and A/B runs).  The kernels are plain C that
 * the compiler vectorises; results agree across ISAs to float rounding.
 */
#ifndef VLM_SCHEMA_VECTOR_SCAN_H
#define VLM_SCHEMA_VECTOR_SCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[i] = <q, x[i*d .. i*d+d)> for i < n.  x need not be aligned: lists
 * mapped from a file sit at any byte offset. */
void vscan_dot_f32(const float *q, const float *x, size_t n, size_t d,
                   float *out);

/* out[i] = sum_j w[j] * codes[i*d + j] for i < n. */
void vscan_dot_u8(const float *w, const uint8_t *codes, size_t n, size_t d,
                  float *out);

/* Name of the kernels in use: "avx512", "avx2" or "generic". */
const char *vscan_isa(void);

/* The k best (largest score) of a stream of (score, id) pairs: a min-heap
 * over caller-provided arrays of room k. */
typedef struct {
    float *score;
    int64_t *id;
    int k, n;
} vscan_topk;

void vscan_topk_init(vscan_topk *t, float *score, int64_t *id, int k);

/* Smallest score kept once full (-INFINITY before): a candidate must beat
 * it to enter. */
static inline float vscan_topk_floor(const vscan_topk *t)
{
    return t->n < t->k ? -__builtin_inff() : t->score[0];
}

void vscan_topk_push(vscan_topk *t, float score, int64_t id);

/* Sorts the kept pairs best first, in place; returns their number. */
int vscan_topk_finish(vscan_topk *t);

#ifdef __cplusplus
}
#endif

#endif
