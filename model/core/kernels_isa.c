/*
 * kernels_isa.c — the bodies behind kernels.h, the bulk dtype conversions
 * and the activation epilogues, written once with GCC vector extensions and
 * compiled once per ISA path by model/core/meson.build:
 *
 *   vlm_kernels_avx512   -DVLM_KERNEL_ISA=avx512 -DVLM_VEC_BYTES=64
 *                        -mavx512f -mavx512bw -mavx512dq -mavx512vl ...
 *   vlm_kernels_avx2     -DVLM_KERNEL_ISA=avx2 -DVLM_VEC_BYTES=32
 *                        -mavx2 -mfma -mf16c
 *   vlm_kernels_generic  -DVLM_KERNEL_ISA=generic -DVLM_VEC_BYTES=16
 *                        (SSE2 on x86-64, NEON on arm64)
 *
 * Only cpu.c's choice (kernels.c) decides which table runs, so a wide build
 * never executes on a CPU without its features.
 */
#include <math.h>
#include <string.h>

#include "model/core/dtype_convert.h"
#include "model/core/kernels_internal.h"

#if defined(__F16C__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#if !defined(VLM_KERNEL_ISA) || !defined(VLM_VEC_BYTES)
#error "built once per ISA path by model/core/meson.build"
#endif

#define VW (VLM_VEC_BYTES / 4) /* floats per vector */
typedef float vf __attribute__((vector_size(VLM_VEC_BYTES)));
typedef uint32_t vu __attribute__((vector_size(VLM_VEC_BYTES)));
/* element-aligned views of weights and activations */
typedef float vf_u
    __attribute__((vector_size(VLM_VEC_BYTES), aligned(4), may_alias));
typedef uint16_t vh_u
    __attribute__((vector_size(VLM_VEC_BYTES / 2), aligned(2), may_alias));

#define INLINE static inline __attribute__((always_inline))

INLINE vf load_f32(const float *p) { return *(const vf_u *)p; }

/* bf16 is the top half of a float: widen and shift.  GCC 12 widens a
 * vector of 8 or 16 u16 in two halves, so x86 spells the one instruction. */
INLINE vf load_bf16(const uint16_t *p)
{
#if VLM_VEC_BYTES == 64 && defined(__AVX512F__)
    __m256i h = _mm256_loadu_si256((const __m256i *)p);
    return (vf)_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
#elif VLM_VEC_BYTES == 32 && defined(__AVX2__)
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return (vf)_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
#elif VLM_VEC_BYTES == 16 && defined(__SSE2__)
    __m128i h = _mm_loadl_epi64((const __m128i *)p); /* zero, h interleaved */
    return (vf)_mm_unpacklo_epi16(_mm_setzero_si128(), h);
#else
    vu u = __builtin_convertvector(*(const vh_u *)p, vu);
    return (vf)(u << 16);
#endif
}

/* Sum of the lanes as a tree (16-byte quarters, then pairs): a lane-by-lane
 * loop keeps C's order and costs as much as the products for short rows. */
typedef float v4f __attribute__((vector_size(16)));
INLINE float hsum(vf v)
{
    v4f s;
    memcpy(&s, &v, 16);
    for (int i = 1; i < VW / 4; i++) {
        v4f t;
        memcpy(&t, (const char *)&v + 16 * i, 16);
        s += t;
    }
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/* int8 weights, sign-extended and converted (the row's scale comes later) */
INLINE vf load_i8(const int8_t *p)
{
#if VLM_VEC_BYTES == 64 && defined(__AVX512F__)
    __m128i q = _mm_loadu_si128((const __m128i *)p);
    return (vf)_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
#elif VLM_VEC_BYTES == 32 && defined(__AVX2__)
    __m128i q = _mm_loadl_epi64((const __m128i *)p);
    return (vf)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
#elif VLM_VEC_BYTES == 16 && defined(__SSE2__)
    int32_t b; /* SSE2 has no sign extension: byte to the top, shift down */
    memcpy(&b, p, 4);
    __m128i q = _mm_cvtsi32_si128(b);
    q = _mm_unpacklo_epi8(q, q);
    q = _mm_unpacklo_epi16(q, q);
    return (vf)_mm_cvtepi32_ps(_mm_srai_epi32(q, 24));
#else
    typedef int8_t vq_u __attribute__((vector_size(VW), aligned(1), may_alias));
    typedef int32_t vi __attribute__((vector_size(VLM_VEC_BYTES)));
    return __builtin_convertvector(
        __builtin_convertvector(*(const vq_u *)p, vi), vf);
#endif
}

/* The stored weight types; constant after inlining, so each kernel below
 * is specialised for one. */
enum {
    W_F32,
    W_BF16,
    W_I8
};

INLINE vf wload(const void *w, int k, int kind)
{
    if (kind == W_BF16) return load_bf16((const uint16_t *)w + k);
    if (kind == W_I8) return load_i8((const int8_t *)w + k);
    return load_f32((const float *)w + k);
}

INLINE float wget(const void *w, int k, int kind)
{
    if (kind == W_BF16) return vlm_bf16_to_f32(((const uint16_t *)w)[k]);
    if (kind == W_I8) return (float)((const int8_t *)w)[k];
    return ((const float *)w)[k];
}

/* ---- products for a few rows ----------------------------------------- */

/* One weight row by one x row, four independent accumulators. */
INLINE float dot1(const void *w, const float *x, int in, int kind)
{
    vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int k = 0;
    for (; k + 4 * VW <= in; k += 4 * VW) {
        a0 += wload(w, k, kind) * load_f32(x + k);
        a1 += wload(w, k + VW, kind) * load_f32(x + k + VW);
        a2 += wload(w, k + 2 * VW, kind) * load_f32(x + k + 2 * VW);
        a3 += wload(w, k + 3 * VW, kind) * load_f32(x + k + 3 * VW);
    }
    for (; k + VW <= in; k += VW) a0 += wload(w, k, kind) * load_f32(x + k);
    float s = hsum((a0 + a1) + (a2 + a3));
    for (; k < in; k++) s += wget(w, k, kind) * x[k];
    return s;
}

/* Two weight rows by four x rows (rows of `in`): o[i * 4 + j]. */
INLINE void tile24(const void *w0, const void *w1, const float *x, int in,
                   int kind, float o[8])
{
    const float *x0 = x, *x1 = x + in, *x2 = x + 2 * in, *x3 = x + 3 * in;
    vf c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0};
    vf c10 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
    int k = 0;
    for (; k + VW <= in; k += VW) {
        vf a = wload(w0, k, kind), b = wload(w1, k, kind), v;
        v = load_f32(x0 + k);
        c00 += a * v;
        c10 += b * v;
        v = load_f32(x1 + k);
        c01 += a * v;
        c11 += b * v;
        v = load_f32(x2 + k);
        c02 += a * v;
        c12 += b * v;
        v = load_f32(x3 + k);
        c03 += a * v;
        c13 += b * v;
    }
    vf c[8] = {c00, c01, c02, c03, c10, c11, c12, c13};
    for (int i = 0; i < 8; i++) o[i] = hsum(c[i]);
    for (; k < in; k++) {
        float a = wget(w0, k, kind), b = wget(w1, k, kind);
        const float xs[4] = {x0[k], x1[k], x2[k], x3[k]};
        for (int j = 0; j < 4; j++) {
            o[j] += a * xs[j];
            o[4 + j] += b * xs[j];
        }
    }
}

/* y = v * scale (the int8 row scale; NULL: 1), or y += that. */
INLINE void put(float *y, float v, const float *scale, int r, int acc)
{
    if (scale) v *= scale[r];
    *y = acc ? *y + v : v;
}

/* Groups of four x rows against blocks of weight rows: a block (RB rows)
 * stays in cache while every group passes over it. */
enum {
    RB = 16
};

typedef struct rows_args {
    const char *w; /* row r at w + r * rowb */
    size_t rowb;
    const float *scale; /* int8: per-row scale */
    int in, M, ldy, acc;
    const float *x;
    float *y;
} rows_args;

INLINE void rows_block(const rows_args *a, int r0, int r1, int kind)
{
    const int in = a->in, ldy = a->ldy, acc = a->acc;
    const char *w = a->w;
    int m = 0;
    for (; m + 4 <= a->M; m += 4) {
        const float *xm = a->x + (size_t)m * in;
        float *ym = a->y + (size_t)m * ldy;
        int r = r0;
        for (; r + 2 <= r1; r += 2) {
            float o[8];
            tile24(w + r * a->rowb, w + (r + 1) * a->rowb, xm, in, kind, o);
            for (int j = 0; j < 4; j++) {
                put(&ym[(size_t)j * ldy + r], o[j], a->scale, r, acc);
                put(&ym[(size_t)j * ldy + r + 1], o[4 + j], a->scale, r + 1,
                    acc);
            }
        }
        for (int j = 0; r < r1 && j < 4; j++)
            put(&ym[(size_t)j * ldy + r],
                dot1(w + r * a->rowb, xm + (size_t)j * in, in, kind), a->scale,
                r, acc);
    }
    for (; m < a->M; m++)
        for (int r = r0; r < r1; r++)
            put(&a->y[(size_t)m * ldy + r],
                dot1(w + r * a->rowb, a->x + (size_t)m * in, in, kind),
                a->scale, r, acc);
}

INLINE void rows_any(const rows_args *a, int rows, int kind)
{
    for (int r0 = 0; r0 < rows; r0 += RB)
        rows_block(a, r0, rows - r0 < RB ? rows : r0 + RB, kind);
}

static void rows_f32(const float *w, int rows, int in, const float *x, int M,
                     float *y, int ldy, int acc)
{
    rows_args a = {
        (const char *)w, (size_t)in * 4, NULL, in, M, ldy, acc, x, y};
    rows_any(&a, rows, W_F32);
}

static void rows_bf16(const uint16_t *w, int rows, int in, const float *x,
                      int M, float *y, int ldy, int acc)
{
    rows_args a = {
        (const char *)w, (size_t)in * 2, NULL, in, M, ldy, acc, x, y};
    rows_any(&a, rows, W_BF16);
}

static void rows_i8(const int8_t *w, const float *scale, int rows, int in,
                    const float *x, int M, float *y, int ldy, int acc)
{
    rows_args a = {(const char *)w, (size_t)in, scale, in, M, ldy, acc, x, y};
    rows_any(&a, rows, W_I8);
}

/* rows x in int8 weights times their row scales, as fp32 */
static void i8_to_f32(const int8_t *w, const float *scale, int rows, int in,
                      float *dst)
{
    for (int r = 0; r < rows; r++) {
        const int8_t *q = w + (size_t)r * in;
        float *d = dst + (size_t)r * in, s = scale[r];
#pragma omp simd
        for (int k = 0; k < in; k++) d[k] = (float)q[k] * s;
    }
}

/* ---- conversions ----------------------------------------------------- */

static void f16_to_f32(const void *src, float *dst, size_t n)
{
    const unsigned char *s = src;
    size_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                      (const __m128i *)(s + 2 * i))));
#elif defined(__aarch64__)
    for (; i < n; i++) { /* fcvtl: the hardware conversion */
        _Float16 h;
        memcpy(&h, s + 2 * i, 2);
        dst[i] = (float)h;
    }
#endif
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        dst[i] = vlm_f16_to_f32(h);
    }
}

static void bf16_to_f32(const void *src, float *dst, size_t n)
{
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        uint32_t u = (uint32_t)h << 16;
        memcpy(&dst[i], &u, 4);
    }
}

/* vlm_f32_to_bf16 without the branch, so the loop vectorises */
static void f32_to_bf16(const float *src, uint16_t *dst, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        uint32_t r = u + 0x7fffu + ((u >> 16) & 1u); /* nearest even */
        uint32_t nan = (u & 0x7fffffffu) > 0x7f800000u;
        dst[i] = (uint16_t)((nan ? u | 0x400000u : r) >> 16);
    }
}

/* ---- activations, norms, softmax ------------------------------------- */

/* exp(x) in plain float arithmetic (Cephes' expf polynomial, ~2 ulp) so the
 * loops vectorise; libm's expf/erff are scalar calls without -ffast-math
 * and cost as much as a quarter of an fc1 GEMM. */
INLINE float vexpf(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } scale = {.i = ((int32_t)n + 127) << 23};
    return p * scale.f;
}

/* erf(x), Abramowitz & Stegun 7.1.26: |error| < 1.5e-7. */
INLINE float verff(float x)
{
    float a = __builtin_fabsf(x), t = 1.0f / (1.0f + 0.3275911f * a);
    float y = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t -
                0.284496736f) *
                   t +
               0.254829592f) *
              t;
    y = 1.0f - y * vexpf(-a * a);
    return x < 0 ? -y : y;
}

INLINE float act_one(vlm_act act, float x)
{
    switch (act) {
    case VLM_ACT_QUICK_GELU: return x / (1.0f + vexpf(-1.702f * x));
    case VLM_ACT_GELU:
        return 0.5f * x * (1.0f + verff(x * 0.70710678118654752f));
    case VLM_ACT_GELU_TANH: { /* tanh(u) = 1 - 2 / (exp(2u) + 1) */
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (2.0f - 2.0f / (vexpf(2.0f * u) + 1.0f));
    }
    default: return x;
    }
}

/* One loop per activation, each in a form the compiler vectorises. */
static void act_row(vlm_act act, float *restrict x, size_t n)
{
    switch (act) {
    case VLM_ACT_QUICK_GELU:
#pragma omp simd
        for (size_t i = 0; i < n; i++) x[i] = act_one(VLM_ACT_QUICK_GELU, x[i]);
        break;
    case VLM_ACT_GELU:
#pragma omp simd
        for (size_t i = 0; i < n; i++) x[i] = act_one(VLM_ACT_GELU, x[i]);
        break;
    case VLM_ACT_GELU_TANH:
#pragma omp simd
        for (size_t i = 0; i < n; i++) x[i] = act_one(VLM_ACT_GELU_TANH, x[i]);
        break;
    default: break;
    }
}

/* y may equal x: each element is read before it is written. */
static void layer_norm_row(const float *x, float *y, int n, const float *w,
                           const float *b, float eps)
{
    float mean = 0, var = 0;
#pragma omp simd reduction(+ : mean)
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= (float)n;
#pragma omp simd reduction(+ : var)
    for (int i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    float inv = 1.0f / sqrtf(var / (float)n + eps);
#pragma omp simd
    for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * w[i] + b[i];
}

static void softmax_row(float *x, int n)
{
    float mx = x[0], sum = 0;
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < n; j++) mx = x[j] > mx ? x[j] : mx;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
        x[j] = vexpf(x[j] - mx);
        sum += x[j];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j < n; j++) x[j] *= inv;
}

#define STR2(x)    #x
#define STR(x)     STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b)  CAT2(a, b)

const vlm_kernel_table CAT(vlm_kernels_, VLM_KERNEL_ISA) = {
    .isa = STR(VLM_KERNEL_ISA),
    .f16_to_f32 = f16_to_f32,
    .bf16_to_f32 = bf16_to_f32,
    .f32_to_bf16 = f32_to_bf16,
    .rows_f32 = rows_f32,
    .rows_bf16 = rows_bf16,
    .rows_i8 = rows_i8,
    .i8_to_f32 = i8_to_f32,
    .act = act_row,
    .layer_norm = layer_norm_row,
    .softmax = softmax_row,
};
