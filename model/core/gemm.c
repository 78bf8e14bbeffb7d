/*
 * gemm.c — vlm_linear over OpenBLAS (fp32, weights used in place) or, for
 * VLM_PREC_BF16 / VLM_PREC_F32_PACKED, over oneDNN (gemm_dnnl.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "model/core/dtype_convert.h"
#include "model/core/gemm_internal.h"

/* openblas_set_num_threads is OpenBLAS-specific and not in every cblas.h. */
void openblas_set_num_threads(int num_threads);

/* OpenBLAS's pthread build starts a thread pool in its constructor whose
 * threads spin for ~0.1 s waiting for work — ~50 ms of CPU in every process,
 * stolen from the other core on a busy machine.  We never use that pool
 * (OpenBLAS is pinned to one thread here and GEMMs are split over our own
 * OpenMP team), so stop it as soon as our code runs.  Weak: other BLAS
 * libraries have no such pool and no such symbol. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

static void quiet_openblas_pool(void)
{
    openblas_set_num_threads(1); /* (re)starts the pool in 0.3.21... */
    if (blas_thread_shutdown_)
        blas_thread_shutdown_(); /* ...so stop it right after */
}

__attribute__((constructor)) static void quiet_openblas_at_start(void)
{
    quiet_openblas_pool();
}

const char *vlm_gemm_backend(vlm_precision prec)
{
#ifdef VLM_HAVE_DNNL
    if (prec != VLM_PREC_F32) return "onednn";
#else
    (void)prec;
#endif
    return "openblas";
}

static int weight_load_f32(vlm_weight *w, const vlm_tensor *t, char *err)
{
    size_t n = (size_t)w->out * w->in;
    if (t->dtype == VLM_DTYPE_F32 && ((uintptr_t)t->data & 3) == 0) {
        w->f32 = t->data; /* straight from the mapping: no copy */
        return VLM_OK;
    }
    w->owned = malloc(n * sizeof(float));
    if (!w->owned) {
        vlm_set_err(err, "out of memory converting tensor %s", t->name);
        return VLM_ENOMEM;
    }
    w->f32 = w->owned;
    return vlm_tensor_to_f32(t, w->owned, n, err);
}

int vlm_weight_create(const vlm_tensor *t, vlm_precision prec, vlm_weight **out,
                      char *err)
{
    *out = NULL;
    if (t->ndim < 2) {
        vlm_set_err(err, "tensor %s is not a matrix (%d dims)", t->name,
                    t->ndim);
        return VLM_EMISMATCH;
    }
    int64_t in = t->numel / (t->shape[0] ? t->shape[0] : 1);
    if (t->shape[0] <= 0 || in <= 0 || t->shape[0] > INT32_MAX ||
        in > INT32_MAX) {
        vlm_set_err(err, "tensor %s has an unusable shape", t->name);
        return VLM_EMISMATCH;
    }
    vlm_weight *w = calloc(1, sizeof *w);
    if (!w) return VLM_ENOMEM;
    w->out = (int)t->shape[0];
    w->in = (int)in;
    w->prec = prec;
    int rc = weight_load_f32(w, t, err);
#ifdef VLM_HAVE_DNNL
    if (rc == VLM_OK && prec != VLM_PREC_F32) {
        rc = gemm_dnnl_weight_create(w->f32, w->out, w->in,
                                     prec == VLM_PREC_BF16, &w->dnnl, err);
        if (rc == VLM_OK) { /* oneDNN keeps its own packed copy */
            free(w->owned);
            w->owned = NULL;
            w->f32 = NULL;
        }
    }
#endif
    if (rc != VLM_OK) {
        vlm_weight_destroy(w);
        return rc;
    }
    *out = w;
    return VLM_OK;
}

void vlm_weight_destroy(vlm_weight *w)
{
    if (!w) return;
#ifdef VLM_HAVE_DNNL
    gemm_dnnl_weight_destroy(w->dnnl);
#endif
    free(w->owned);
    free(w);
}

int vlm_weight_out(const vlm_weight *w) { return w->out; }
int vlm_weight_in(const vlm_weight *w) { return w->in; }

/* exp(x) in plain float arithmetic (Cephes' expf polynomial, ~2 ulp) so the
 * activation loops vectorise; libm's expf/erff are scalar calls without
 * -ffast-math and cost as much as a quarter of an fc1 GEMM. */
static inline float vexpf(float x)
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
static inline float verff(float x)
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

static inline float act_one(vlm_act act, float x)
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

/* The same activation over a row, in a form the compiler vectorises. */
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

void vlm_act_apply(vlm_act act, float *x, size_t n)
{
    if (act == VLM_ACT_NONE) return;
    size_t chunk = 4096, nchunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n > 16384)
    for (size_t c = 0; c < nchunks; c++)
        act_row(act, x + c * chunk, c == nchunks - 1 ? n - c * chunk : chunk);
}

void vlm_softmax(float *restrict x, int n)
{
    float mx = x[0], sum = 0;
#pragma omp simd reduction(max : mx)
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < n; i++) {
        x[i] = vexpf(x[i] - mx);
        sum += x[i];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int i = 0; i < n; i++) x[i] *= inv;
}

/* One column block [n0, n0+nc) of y = act(x W^T + b) (+ y): bias is folded
 * in by pre-filling y (beta = 1), so the epilogue is one pass at most. */
static void blas_block(const vlm_weight *w, const float *bias, const float *x,
                       int M, float *y, vlm_act act, int accumulate, int n0,
                       int nc, float *tmp)
{
    int N = w->out, K = w->in;
    /* y += act(...) needs the product apart from y: tmp [M, nc] */
    float *dst = (accumulate && act != VLM_ACT_NONE) ? tmp : y + n0;
    int ldd = dst == tmp ? nc : N, acc = accumulate && dst != tmp;
    float beta = (bias || acc) ? 1.0f : 0.0f;
    for (int i = 0; bias && i < M; i++) {
        float *row = dst + (size_t)i * ldd;
        if (acc)
            for (int j = 0; j < nc; j++) row[j] += bias[n0 + j];
        else
            memcpy(row, bias + n0, (size_t)nc * sizeof(float));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, nc, K, 1.0f, x, K,
                w->f32 + (size_t)n0 * K, K, beta, dst, ldd);
    for (int i = 0; act != VLM_ACT_NONE && i < M; i++) {
        float *row = dst + (size_t)i * ldd;
        act_row(act, row, (size_t)nc);
        if (dst == tmp)
            for (int j = 0; j < nc; j++) y[(size_t)i * N + n0 + j] += row[j];
    }
}

/* OpenBLAS runs single-threaded inside our OpenMP team, each thread taking
 * a block of output columns: one thread pool for GEMMs, attention and norms,
 * so no two pools spin against each other on few cores. */
static void blas_linear(const vlm_weight *w, const float *bias, const float *x,
                        int M, float *y, vlm_act act, int accumulate)
{
    int N = w->out;
    double flops = 2.0 * M * N * w->in;
    int nt = flops < 2e6 ? 1 : vlm_threads_current();
    if (nt > N / 16) nt = N / 16 > 0 ? N / 16 : 1;
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num(), n = omp_get_num_threads();
#else
        int t = 0, n = 1;
#endif
        /* blocks of a multiple of 16 columns, the last one takes the rest */
        int per = (N / n + 15) & ~15;
        int n0 = t * per, nc = t == n - 1 ? N - n0 : per;
        if (nc > 0 && n0 < N) {
            float *tmp = NULL;
            if (accumulate && act != VLM_ACT_NONE) {
                tmp = malloc((size_t)M * nc * sizeof(float));
                if (!tmp) abort();
            }
            blas_block(w, bias, x, M, y, act, accumulate, n0, nc, tmp);
            free(tmp);
        }
    }
}

void vlm_gemm_small(int trans_b, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc)
{
    /* OpenBLAS is single-threaded (pinned at start), so this may be called
     * from inside parallel loops. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
}

void vlm_linear_ex(const vlm_weight *w, const float *bias, const float *x,
                   int M, float *y, vlm_act act, int accumulate)
{
    if (M <= 0) return;
#ifdef VLM_HAVE_DNNL
    if (w->dnnl) {
        gemm_dnnl_linear(w->dnnl, bias, x, M, y, act, accumulate);
        return;
    }
#endif
    blas_linear(w, bias, x, M, y, act, accumulate);
}

void vlm_linear(const vlm_weight *w, const float *bias, const float *x, int M,
                float *y)
{
    vlm_linear_ex(w, bias, x, M, y, VLM_ACT_NONE, 0);
}
