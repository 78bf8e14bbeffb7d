/*
 * vector_pairs.h — pairs of near-identical vectors (`vlmindex dupes`),
 * found by a FAISS range search of every vector against all the others
 * (an exact inner-product index built for the call, so a subset of the
 * collection is as easy as all of it).  Cost: n^2 * dims multiply-adds,
 * done by FAISS's BLAS kernels in blocks of queries; memory: the vectors
 * (n * dims floats) plus the pairs found.
 */
#ifndef VLM_SCHEMA_VECTOR_PAIRS_H
#define VLM_SCHEMA_VECTOR_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct vector_pair {
    int64_t a, b; /* ids, a < b */
    float score;  /* inner product (cosine for unit vectors) */
} vector_pair;

/* Every pair (i < j) of the n vectors (row-major [n][dims], ids[n]) whose
 * inner product is >= threshold.  *pairs is malloc'ed (NULL when none). */
int vector_pairs_within(const float *vecs, const int64_t *ids, size_t n,
                        int dims, float threshold, vector_pair **pairs,
                        size_t *n_pairs, char *err);

#endif
