/*
 * vector_scan_kernels.c — the dot-product kernels of vector_scan.h, built
 * once per ISA (meson passes -DVSCAN_ISA=<name> and the path's -m flags).
 *
 * Each dot keeps LANES independent partial sums, written as a fixed-width
 * inner loop that the compiler turns into SIMD registers (4 zmm, 8 ymm or
 * 16 xmm): enough accumulators to hide the FMA latency, and no reliance on
 * -ffast-math to reorder one long sum.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef VSCAN_ISA
#error "build with -DVSCAN_ISA=<name> (see schema/meson.build)"
#endif
#define VSCAN_CAT2(a, b) a##_##b
#define VSCAN_CAT(a, b)  VSCAN_CAT2(a, b)
#define VSCAN_FN(name)   VSCAN_CAT(name, VSCAN_ISA)

#define LANES            64

void VSCAN_FN(vscan_dot_f32)(const float *q, const float *x, size_t n, size_t d,
                             float *out);
void VSCAN_FN(vscan_dot_u8)(const float *w, const uint8_t *codes, size_t n,
                            size_t d, float *out);

/* Pairwise halving: each step is one vector add, not LANES scalar ones. */
static float sum_lanes(float *acc)
{
#pragma GCC unroll 8
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) acc[j] += acc[j + w];
    return acc[0];
}

/* b may be unaligned (lists mapped from the file sit at any offset): its
 * floats are read with memcpy, which compiles to unaligned vector loads. */
static inline float load_f32(const unsigned char *p)
{
    float v;
    memcpy(&v, p, sizeof v);
    return v;
}

static float dot_f32(const float *restrict a, const unsigned char *restrict b,
                     size_t d)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= d; i += LANES)
        for (int j = 0; j < LANES; j++)
            acc[j] += a[i + j] * load_f32(b + 4 * (i + j));
    float s = sum_lanes(acc);
    for (; i < d; i++) s += a[i] * load_f32(b + 4 * i);
    return s;
}

static float dot_u8(const float *restrict w, const uint8_t *restrict c,
                    size_t d)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= d; i += LANES)
        for (int j = 0; j < LANES; j++) acc[j] += w[i + j] * (float)c[i + j];
    float s = sum_lanes(acc);
    for (; i < d; i++) s += w[i] * (float)c[i];
    return s;
}

void VSCAN_FN(vscan_dot_f32)(const float *q, const float *x, size_t n, size_t d,
                             float *out)
{
    const unsigned char *bytes = (const unsigned char *)x;
    for (size_t i = 0; i < n; i++) out[i] = dot_f32(q, bytes + 4 * i * d, d);
}

void VSCAN_FN(vscan_dot_u8)(const float *w, const uint8_t *codes, size_t n,
                            size_t d, float *out)
{
    for (size_t i = 0; i < n; i++) out[i] = dot_u8(w, codes + i * d, d);
}
