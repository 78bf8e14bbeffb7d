/*
 * gemm_rows.c — vlm_linear for a few rows (one token, a short text): the
 * plain weights (fp32, bf16, int8) are streamed once for all rows by the
 * kernels.h products, in blocks of output columns split over the threads.
 * OpenBLAS packs the weights first at this size, which makes it several
 * times slower than the memory bound.
 */
#include "model/core/gemm_internal.h"
#include "model/core/kernels_internal.h"

enum {
    COLS = 64
}; /* output columns per block: the epilogue's tile */

/* Columns [c, c+nc) of every row: product into a tile, then bias,
 * activation and the store (or the residual add). */
static void rows_block(const vlm_weight *w, const vlm_kernel_table *k,
                       const float *bias, const float *x, int M, float *y,
                       vlm_act act, int accumulate, int c, int nc)
{
    float tile[GEMM_ROWS_MAX * COLS];
    const int N = w->out, K = w->in;
    if (w->f32)
        k->rows_f32(w->f32 + (size_t)c * K, nc, K, x, M, tile, COLS, 0);
    else if (w->bf16)
        k->rows_bf16(w->bf16 + (size_t)c * K, nc, K, x, M, tile, COLS, 0);
    else
        k->rows_i8(w->i8 + (size_t)c * K, w->scale + c, nc, K, x, M, tile, COLS,
                   0);
    for (int m = 0; m < M; m++) {
        float *t = tile + m * COLS, *ym = y + (size_t)m * N + c;
        for (int j = 0; bias && j < nc; j++) t[j] += bias[c + j];
        if (act != VLM_ACT_NONE) k->act(act, t, (size_t)nc);
        if (accumulate)
            for (int j = 0; j < nc; j++) ym[j] += t[j];
        else
            for (int j = 0; j < nc; j++) ym[j] = t[j];
    }
}

void gemm_rows_linear(const vlm_weight *w, const float *bias, const float *x,
                      int M, float *y, vlm_act act, int accumulate)
{
    const vlm_kernel_table *k = vlm_kernels();
    const int N = w->out, nblocks = (N + COLS - 1) / COLS;
    /* below ~1 MFLOP a thread team costs more than it saves */
    int nt = (double)M * N * w->in < 5e5 ? 1 : vlm_threads_current();
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int b = 0; b < nblocks; b++) {
        int c = b * COLS, nc = N - c < COLS ? N - c : COLS;
        rows_block(w, k, bias, x, M, y, act, accumulate, c, nc);
    }
}
