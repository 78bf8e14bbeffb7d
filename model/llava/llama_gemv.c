/* llama_gemv.c — see llama_gemv.h. */
#include "model/llava/llama_gemv.h"

#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

int llama_gemv_init(llama_gemv *g, const st_tensor *t, vlm_precision prec,
                    char *err)
{
    memset(g, 0, sizeof *g);
    g->out = (int)t->shape[0];
    g->in = (int)t->shape[1];
    const uintptr_t addr = (uintptr_t)t->data;
    if (prec == VLM_PREC_F32) {
        if (t->dtype == ST_F32 && addr % 4 == 0) g->f32 = t->data;
        return VLM_OK;
    }
    if (t->dtype == ST_BF16 && addr % 2 == 0) {
        g->bf16 = t->data;
        return VLM_OK;
    }
    const size_t n = (size_t)t->numel;
    g->owned = malloc(sizeof(uint16_t) * n);
    if (!g->owned) {
        vlm_set_err(err, "out of memory converting %s to bf16", t->name);
        return VLM_ENOMEM;
    }
    int rc = vlm_tensor_to_bf16(t, g->owned, n, err);
    if (rc) {
        llama_gemv_free(g);
        return rc;
    }
    g->bf16 = g->owned;
    return VLM_OK;
}

void llama_gemv_free(llama_gemv *g)
{
    free(g->owned);
    memset(g, 0, sizeof *g);
}

static float dot_f32(const float *w, const float *x, int n)
{
    int j = 0;
    float s = 0;
#if defined(__AVX512F__)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; j + 32 <= n; j += 32) {
        a0 =
            _mm512_fmadd_ps(_mm512_loadu_ps(w + j), _mm512_loadu_ps(x + j), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + j + 16),
                             _mm512_loadu_ps(x + j + 16), a1);
    }
    s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
#endif
    for (; j < n; j++) s += w[j] * x[j];
    return s;
}

static inline float bf16_to_f32(uint16_t b)
{
    const uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* bf16 weights times fp32 x: widen each weight (a 16-bit shift) and FMA. */
static float dot_bf16_widen(const uint16_t *w, const float *x, int n)
{
    int j = 0;
    float s = 0;
#if defined(__AVX512F__)
    __m512 a0 = _mm512_setzero_ps();
    for (; j + 16 <= n; j += 16) {
        __m512i w32 =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256((const void *)(w + j)));
        a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w32, 16)),
                             _mm512_loadu_ps(x + j), a0);
    }
    s = _mm512_reduce_add_ps(a0);
#endif
    for (; j < n; j++) s += bf16_to_f32(w[j]) * x[j];
    return s;
}

/* bf16 weights times x rounded to bf16 (xb), 32 products per vdpbf16ps. */
static float dot_bf16(const uint16_t *w, const uint16_t *xb, const float *x,
                      int n)
{
#if defined(__AVX512BF16__)
    int j = 0;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; j + 64 <= n; j += 64) {
        a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(w + j),
                              (__m512bh)_mm512_loadu_si512(xb + j));
        a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(w + j + 32),
                              (__m512bh)_mm512_loadu_si512(xb + j + 32));
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    (void)x;
    for (; j < n; j++) s += bf16_to_f32(w[j]) * bf16_to_f32(xb[j]);
    return s;
#else
    (void)xb;
    return dot_bf16_widen(w, x, n);
#endif
}

void llama_gemv_run(const llama_gemv *g, const float *x, float *y,
                    int accumulate)
{
    /* x rounded to bf16 once per call; without memory for it, the widening
     * kernel gives the same product in fp32. */
    uint16_t *xb = g->bf16 ? malloc(sizeof(uint16_t) * (size_t)g->in) : NULL;
    if (xb) vlm_f32_to_bf16_n(x, xb, (size_t)g->in);
    int nt = g->out >= 256 ? vlm_threads_current() : 1;
    if (nt <= 0) nt = 1;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int r = 0; r < g->out; r++) {
        const size_t off = (size_t)r * g->in;
        const float d = !g->bf16 ? dot_f32(g->f32 + off, x, g->in)
                        : xb     ? dot_bf16(g->bf16 + off, xb, x, g->in)
                                 : dot_bf16_widen(g->bf16 + off, x, g->in);
        y[r] = accumulate ? y[r] + d : d;
    }
    free(xb);
}
