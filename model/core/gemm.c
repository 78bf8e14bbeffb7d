/*
 * gemm.c — vlm_weight creation and the choice of backend per call:
 * oneDNN (packed fp32, native bf16; gemm_dnnl.c), OpenBLAS (plain fp32,
 * emulated bf16; gemm_blas.c), or the few-row kernels (gemm_rows.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "model/core/cpu.h"
#include "model/core/dtype_convert.h"
#include "model/core/gemm_internal.h"
#include "model/core/kernels_internal.h"

/* openblas_set_num_threads is OpenBLAS-specific and not in every cblas.h;
 * the two names are only for reports (weak: other BLAS libraries). */
void openblas_set_num_threads(int num_threads);
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

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

int vlm_bf16_native(void)
{
#ifdef VLM_HAVE_DNNL
    return vlm_cpu_isa() == VLM_ISA_AVX512 && gemm_dnnl_bf16_available();
#else
    return 0;
#endif
}

const char *vlm_gemm_backend(vlm_precision prec)
{
#ifdef VLM_HAVE_DNNL
    if (prec == VLM_PREC_F32_PACKED) return "onednn";
#endif
    if (prec == VLM_PREC_BF16)
        return vlm_bf16_native() ? "onednn" : "openblas-bf16";
    if (prec == VLM_PREC_INT8) return "openblas-int8";
    return "openblas";
}

int vlm_gemm_describe(char *buf, size_t n)
{
    char blas[128] = "cblas", dnnl[128] = "no onednn";
    if (openblas_get_config && openblas_get_corename) {
        /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": keep the version */
        const char *cfg = openblas_get_config();
        int len = 0;
        sscanf(cfg, "OpenBLAS %*s%n", &len);
        snprintf(blas, sizeof blas, "openblas %.*s (%s)", len > 9 ? len - 9 : 1,
                 len > 9 ? cfg + 9 : "?", openblas_get_corename());
    }
#ifdef VLM_HAVE_DNNL
    gemm_dnnl_describe(dnnl, sizeof dnnl);
#endif
    return snprintf(buf, n, "gemm: %s, %s, bf16 %s", blas, dnnl,
                    vlm_bf16_native() ? "native"
                                      : "emulated (bf16 weights, fp32 math)");
}

/* fp32 weights: in place (F32 mode, aligned F32 data), else a copy. */
static int load_f32(vlm_weight *w, const vlm_tensor *t, char *err)
{
    size_t n = (size_t)w->out * w->in;
    if (w->prec == VLM_PREC_F32 && t->dtype == VLM_DTYPE_F32 &&
        ((uintptr_t)t->data & 3) == 0) {
        w->f32 = t->data; /* no copy */
        return VLM_OK;
    }
    float *f = malloc(n * sizeof(float));
    if (!f) {
        vlm_set_err(err, "out of memory converting tensor %s", t->name);
        return VLM_ENOMEM;
    }
    w->owned = f;
    w->f32 = f;
    return vlm_tensor_to_f32(t, f, n, err);
}

/* bf16 weights: in place when the data is BF16, else a rounded copy (half
 * the size of fp32). */
static int load_bf16(vlm_weight *w, const vlm_tensor *t, char *err)
{
    size_t n = (size_t)w->out * w->in;
    if (t->dtype == VLM_DTYPE_BF16 && ((uintptr_t)t->data & 1) == 0) {
        w->bf16 = t->data;
        return VLM_OK;
    }
    uint16_t *h = malloc(n * sizeof(uint16_t));
    if (!h) {
        vlm_set_err(err, "out of memory converting tensor %s", t->name);
        return VLM_ENOMEM;
    }
    w->owned = h;
    w->bf16 = h;
    return vlm_tensor_to_bf16(t, h, n, err);
}

/* int8 weights and their row scales, in one allocation. */
static int load_i8(vlm_weight *w, const vlm_tensor *t, char *err)
{
    size_t n = (size_t)w->out * w->in;
    char *buf = malloc(n + sizeof(float) * (size_t)(w->out + 1));
    if (!buf) {
        vlm_set_err(err, "out of memory quantising tensor %s", t->name);
        return VLM_ENOMEM;
    }
    w->owned = buf;
    w->scale =
        (float *)(buf + ((n + sizeof(float) - 1) & ~(sizeof(float) - 1)));
    w->i8 = (const int8_t *)buf;
    return vlm_tensor_to_i8_rows(t, (int8_t *)buf, w->scale, err);
}

#ifdef VLM_HAVE_DNNL
/* oneDNN keeps its own packed copy, made from fp32. */
static int load_dnnl(vlm_weight *w, const vlm_tensor *t, int bf16, char *err)
{
    int rc = load_f32(w, t, err);
    if (!rc)
        rc =
            gemm_dnnl_weight_create(w->f32, w->out, w->in, bf16, &w->dnnl, err);
    free(w->owned);
    w->owned = NULL;
    w->f32 = NULL;
    return rc;
}
#endif

static int load_weights(vlm_weight *w, const vlm_tensor *t, char *err)
{
#ifdef VLM_HAVE_DNNL
    if (w->prec == VLM_PREC_F32_PACKED) return load_dnnl(w, t, 0, err);
    if (w->prec == VLM_PREC_BF16 && vlm_bf16_native())
        return load_dnnl(w, t, 1, err);
#endif
    if (w->prec == VLM_PREC_BF16) return load_bf16(w, t, err);
    if (w->prec == VLM_PREC_INT8) return load_i8(w, t, err);
    return load_f32(w, t, err);
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
    int rc = load_weights(w, t, err);
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
int vlm_weight_is_plain(const vlm_weight *w)
{
    return w->f32 || w->bf16 || w->i8;
}

void vlm_act_apply(vlm_act act, float *x, size_t n)
{
    if (act == VLM_ACT_NONE) return;
    const vlm_kernel_table *k = vlm_kernels();
    size_t chunk = 4096, nchunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n > 16384)
    for (size_t c = 0; c < nchunks; c++)
        k->act(act, x + c * chunk, c == nchunks - 1 ? n - c * chunk : chunk);
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
    if (M <= GEMM_ROWS_MAX)
        gemm_rows_linear(w, bias, x, M, y, act, accumulate);
    else
        gemm_blas_linear(w, bias, x, M, y, act, accumulate);
}

void vlm_linear(const vlm_weight *w, const float *bias, const float *x, int M,
                float *y)
{
    vlm_linear_ex(w, bias, x, M, y, VLM_ACT_NONE, 0);
}
