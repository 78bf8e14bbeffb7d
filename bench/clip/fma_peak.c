/* fma_peak.c — see fma_peak.h.  Vector extensions under per-function target
 * attributes (built with -ffp-contract=fast, so y * m + c is one FMA where
 * the target has it); only the path cpu.h chose runs. */
#include "bench/clip/fma_peak.h"

#include "bench/bench_util.h"
#include "model/core/cpu.h"

/* 12 independent chains of y = y * m + c: enough to cover FMA latency on
 * two pipes.  Returns a value that depends on every chain. */
#define PEAK_BODY(vec, lanes)                                        \
    vec a[12], m, c;                                                 \
    for (int l = 0; l < (lanes); l++) {                              \
        m[l] = 0.9999f;                                              \
        c[l] = 1e-4f;                                                \
    }                                                                \
    for (int i = 0; i < 12; i++)                                     \
        for (int l = 0; l < (lanes); l++) a[i][l] = (float)i;        \
    for (long k = 0; k < iters; k++)                                 \
        _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) a[i] = \
            a[i] * m + c;                                            \
    float s = 0;                                                     \
    for (int i = 0; i < 12; i++) s += a[i][0];                       \
    return s;

typedef float v4 __attribute__((vector_size(16)));
static float run_generic(long iters) { PEAK_BODY(v4, 4) }

#if defined(__x86_64__)
typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
__attribute__((target("avx2,fma"))) static float run_avx2(long iters)
{
    PEAK_BODY(v8, 8)
}
__attribute__((target("avx512f,fma"))) static float run_avx512(long iters)
{
    PEAK_BODY(v16, 16)
}
#endif

double fma_peak_gflops(int threads)
{
    float (*run)(long) = run_generic;
    int lanes = 4;
#if defined(__x86_64__)
    if (vlm_cpu_isa() == VLM_ISA_AVX512) run = run_avx512, lanes = 16;
    if (vlm_cpu_isa() == VLM_ISA_AVX2) run = run_avx2, lanes = 8;
#endif
    const long iters = 20000000;
    double best = 0, sink = 0;
    for (int r = 0; r < 5; r++) { /* best of 5: the machine is shared */
        double t = bench_now_s();
#pragma omp parallel for num_threads(threads) reduction(+ : sink)
        for (int i = 0; i < threads; i++) sink += run(iters);
        t = bench_now_s() - t;
        double g = threads * (double)iters * 12 * lanes * 2 / t * 1e-9;
        if (g > best) best = g;
    }
    return sink == 12345 ? 0 : best;
}
