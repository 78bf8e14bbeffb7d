/* bench_synth.c — synthetic unit vectors (see bench_synth.h). */
#include <math.h>
#include <stdlib.h>

#include "bench/schema/bench_synth.h"

/* splitmix64 + Box-Muller */
static uint64_t next_u64(bench_synth *s)
{
    uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static float gauss(bench_synth *s)
{
    double u1 = ((next_u64(s) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (next_u64(s) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static void normalise(float *v, int dims)
{
    double ss = 0;
    for (int i = 0; i < dims; i++) ss += (double)v[i] * v[i];
    for (int i = 0; i < dims; i++) v[i] = (float)(v[i] / sqrt(ss));
}

static float *random_rows(bench_synth *s, int rows)
{
    float *m = malloc((size_t)rows * s->dims * sizeof *m);
    for (int i = 0; m && i < rows; i++) {
        for (int j = 0; j < s->dims; j++) m[(size_t)i * s->dims + j] = gauss(s);
        normalise(m + (size_t)i * s->dims, s->dims);
    }
    return m;
}

void bench_synth_init(bench_synth *s, int dims, int rank, bool uniform,
                      int64_t n, uint64_t seed)
{
    *s = (bench_synth){
        .dims = dims, .rank = rank, .uniform = uniform, .state = seed};
    if (rank > 0) s->basis = random_rows(s, rank);
    s->n_centers = (int)(n / 200 > 10 ? n / 200 : 10);
    if (rank <= 0 && !uniform) s->centers = random_rows(s, s->n_centers);
}

void bench_synth_free(bench_synth *s)
{
    free(s->centers), free(s->basis);
    s->centers = s->basis = NULL;
}

/* v = sum_i z_i b_i / sqrt(i+1) + 0.3 isotropic noise, normalised. */
static void low_rank(bench_synth *s, float *v)
{
    int d = s->dims;
    for (int j = 0; j < d; j++) v[j] = 0.3f / sqrtf((float)d) * gauss(s);
    for (int i = 0; i < s->rank; i++) {
        float z = gauss(s) / sqrtf((float)i + 1) * 1.5f;
        const float *b = s->basis + (size_t)i * d;
        for (int j = 0; j < d; j++) v[j] += z * b[j];
    }
    normalise(v, d);
}

void bench_synth_vector(bench_synth *s, float *v)
{
    if (s->rank > 0) {
        low_rank(s, v);
        return;
    }
    int d = s->dims;
    const float *c =
        s->uniform ? NULL : s->centers + (next_u64(s) % s->n_centers) * d;
    float sigma = 1.0f / sqrtf((float)d);
    for (int i = 0; i < d; i++)
        v[i] = (c ? c[i] : 0) + (c ? sigma : 1) * gauss(s);
    normalise(v, d);
}
