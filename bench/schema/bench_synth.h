/*
 * bench_synth.h — synthetic unit vectors for the vector-index benchmarks.
 *
 * Data models:
 *   - clustered (default): centres with ~200 vectors each at cosine ~0.7
 *     (near-duplicates, same scene/subject); easy for IVF;
 *   - low-rank (rank > 0): v = sum of `rank` random directions with a
 *     decaying spectrum + 30 % isotropic noise, no clusters — real CLIP
 *     embeddings have a small intrinsic dimension, so this is the harder,
 *     more conservative model the defaults are tuned on;
 *   - uniform: i.i.d. random unit vectors, the worst case for any
 *     partitioning index.
 * Deterministic: the same seed and calls give the same vectors.
 */
#ifndef VLM_BENCH_SYNTH_H
#define VLM_BENCH_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int dims;
    int rank;     /* > 0: low-rank model */
    bool uniform; /* i.i.d. vectors */
    uint64_t state;
    float *centers, *basis;
    int n_centers;
} bench_synth;

/* Sets up the model for a collection of about n vectors. */
void bench_synth_init(bench_synth *s, int dims, int rank, bool uniform,
                      int64_t n, uint64_t seed);
void bench_synth_free(bench_synth *s);

/* One unit vector into v[dims]. */
void bench_synth_vector(bench_synth *s, float *v);

#endif
