/*
 * gemm_bench.c — GFLOP/s of vlm_linear at ViT-B/32 shapes for each backend.
 *
 *   gemm_bench THREADS [M,M..]     (N=3072, K=768: fc1, as in the issue)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "model/core/gemm.h"

void openblas_set_num_threads(int num_threads);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The baseline in the same run: OpenBLAS's own sgemm on all threads (no
 * bias, no activation), whatever vlm_linear picks for this M. */
static void sgemm_baseline(const float *w, const float *x, int M, int N, int K,
                           int threads)
{
    float *y = malloc((size_t)M * N * 4);
    openblas_set_num_threads(threads);
    double best = 1e9;
    for (int r = -1; r < 7; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x,
                    K, w, K, 0.0f, y, N);
        double dt = now_s() - t0;
        if (r >= 0 && dt < best) best = dt;
    }
    openblas_set_num_threads(1);
    printf("M=%5d N=%d K=%d threads=%d %-5s %-13s %7.1f GFLOP/s (best of 7)\n",
           M, N, K, threads, "base", "cblas_sgemm",
           2.0 * M * N * K / best * 1e-9);
    free(y);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    char ms[256] = "50,400,1600";
    if (argc > 2) snprintf(ms, sizeof ms, "%s", argv[2]);
    vlm_threads_enter(threads); /* this program's scope: all of main */
    const int N = 3072, K = 768;
    float *w = malloc((size_t)N * K * 4);
    for (size_t i = 0; i < (size_t)N * K; i++)
        w[i] = (float)(i % 97) / 97.0f - 0.5f;
    vlm_tensor t = {.name = "w",
                    .dtype = VLM_DTYPE_F32,
                    .ndim = 2,
                    .shape = {N, K},
                    .numel = (int64_t)N * K,
                    .data = w,
                    .nbytes = (size_t)N * K * 4};
    const vlm_precision precs[] = {VLM_PREC_F32, VLM_PREC_F32_PACKED,
                                   VLM_PREC_BF16};
    const char *names[] = {"f32", "f32p", "bf16"};
    for (char *tok = strtok(ms, ","); tok; tok = strtok(NULL, ",")) {
        int M = atoi(tok);
        float *x = malloc((size_t)M * K * 4), *y = malloc((size_t)M * N * 4);
        for (size_t i = 0; i < (size_t)M * K; i++)
            x[i] = (float)(i % 13) / 13.0f;
        sgemm_baseline(w, x, M, N, K, threads);
        for (int p = 0; p < 3; p++) {
            vlm_weight *vw;
            char err[VLM_ERR_MAX];
            if (vlm_weight_create(&t, precs[p], &vw, err)) continue;
            vlm_linear(vw, NULL, x, M, y); /* warm-up, builds primitives */
            double best = 1e9;
            for (int r = 0; r < 7; r++) {
                double t0 = now_s();
                vlm_linear_ex(vw, w, x, M, y, VLM_ACT_QUICK_GELU, 0);
                double dt = now_s() - t0;
                if (dt < best) best = dt;
            }
            printf("M=%5d N=%d K=%d threads=%d %-5s %-13s %7.1f GFLOP/s "
                   "(best of 7)\n",
                   M, N, K, threads, names[p], vlm_gemm_backend(precs[p]),
                   2.0 * M * N * K / best * 1e-9);
            vlm_weight_destroy(vw);
        }
        free(x);
        free(y);
    }
    free(w);
    return 0;
}
