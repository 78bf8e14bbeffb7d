/*
 * gemm_blas.c — vlm_linear for many rows over OpenBLAS: fp32 weights used
 * in place, or bf16 / int8 weights widened to fp32 one cache-sized block of
 * output columns at a time (emulated bf16, int8: less weight memory, fp32
 * math).
 */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "model/core/gemm_internal.h"
#include "model/core/kernels_internal.h"

/* One column block [n0, n0+nc) of y = act(x W^T + b) (+ y), wb holding
 * those nc rows of W: bias is folded in by pre-filling y (beta = 1), so the
 * epilogue is one pass at most. */
static void blas_block(const float *wb, int N, int K, const float *bias,
                       const float *x, int M, float *y, vlm_act act,
                       int accumulate, int n0, int nc, float *tmp)
{
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
                wb, K, beta, dst, ldd);
    const vlm_kernel_table *k = vlm_kernels();
    for (int i = 0; act != VLM_ACT_NONE && i < M; i++) {
        float *row = dst + (size_t)i * ldd;
        k->act(act, row, (size_t)nc);
        if (dst == tmp)
            for (int j = 0; j < nc; j++) y[(size_t)i * N + n0 + j] += row[j];
    }
}

/* Rows of W widened per step: about 256 KiB of fp32, a multiple of 16. */
static int widen_step(int K)
{
    int r = (65536 / K) & ~15;
    return r < 16 ? 16 : r;
}

static void blas_part(const vlm_weight *w, const float *bias, const float *x,
                      int M, float *y, vlm_act act, int accumulate, int n0,
                      int nc)
{
    const int N = w->out, K = w->in;
    float *tmp = NULL, *wb = NULL;
    int step = w->f32 ? nc : widen_step(K);
    if (step > nc) step = nc;
    if (accumulate && act != VLM_ACT_NONE)
        tmp = malloc((size_t)M * step * sizeof(float));
    if (!w->f32) wb = malloc((size_t)step * K * sizeof(float));
    if ((accumulate && act != VLM_ACT_NONE && !tmp) || (!w->f32 && !wb))
        abort(); /* a few hundred KiB: only when the machine is out */
    for (int c = n0; c < n0 + nc; c += step) {
        int cn = n0 + nc - c < step ? n0 + nc - c : step;
        const float *blk = w->f32 ? w->f32 + (size_t)c * K : wb;
        if (w->bf16)
            vlm_kernels()->bf16_to_f32(w->bf16 + (size_t)c * K, wb,
                                       (size_t)cn * K);
        else if (w->i8)
            vlm_kernels()->i8_to_f32(w->i8 + (size_t)c * K, w->scale + c, cn, K,
                                     wb);
        blas_block(blk, N, K, bias, x, M, y, act, accumulate, c, cn, tmp);
    }
    free(tmp);
    free(wb);
}

/* OpenBLAS runs single-threaded inside our OpenMP team, each thread taking
 * a block of output columns: one thread pool for GEMMs, attention and norms,
 * so no two pools spin against each other on few cores. */
void gemm_blas_linear(const vlm_weight *w, const float *bias, const float *x,
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
        if (nc > 0 && n0 < N)
            blas_part(w, bias, x, M, y, act, accumulate, n0, nc);
    }
}
