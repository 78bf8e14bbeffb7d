/*
 * test_gemm.c — vlm_linear / vlm_linear_ex against a naive double-precision
 * reference, for every precision and stored dtype, with bias, fused
 * activations and residual accumulation, on few rows (our kernels) and many
 * (OpenBLAS / oneDNN).  Every precision runs on every CPU: bf16 is native or
 * emulated, whichever this CPU (and VLMINDEX_MAX_ISA) gives.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/core/gemm.h"
#include "model/core/threads.h"

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((float)((*s >> 8) & 0xffff) / 65535.0f - 0.5f) * 2.0f;
}

static double act_ref(vlm_act a, double x)
{
    switch (a) {
    case VLM_ACT_QUICK_GELU: return x / (1 + exp(-1.702 * x));
    case VLM_ACT_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case VLM_ACT_GELU_TANH:
        return 0.5 * x *
               (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    default: return x;
    }
}

static uint16_t to_f16(float f) /* exact for the values used (k/256) */
{
    uint32_t b;
    memcpy(&b, &f, 4);
    uint32_t sign = (b >> 16) & 0x8000, exp = (b >> 23) & 255,
             man = b & 0x7fffff;
    if (exp == 0) return (uint16_t)sign;
    return (uint16_t)(sign | ((exp - 112) << 10) | (man >> 13));
}

/* Runs one case; tol is relative to sqrt(K) (typical error growth). */
static void run_case(vlm_dtype dt, vlm_precision prec, int M, int N, int K,
                     vlm_act act, int accumulate, int with_bias, double tol)
{
    unsigned seed = (unsigned)(M * 131 + N * 7 + K + act * 1000 + accumulate);
    float *w = malloc((size_t)N * K * 4), *x = malloc((size_t)M * K * 4),
          *b = malloc((size_t)N * 4), *y = malloc((size_t)M * N * 4),
          *y0 = malloc((size_t)M * N * 4);
    uint16_t *w16 = malloc((size_t)N * K * 2);
    /* exact in f16 and bf16; for int8 also multiples of 1/128 with a row
     * maximum of 127/128, so the row scale is 1/128 and nothing rounds */
    const int i8 = prec == VLM_PREC_INT8;
    for (int i = 0; i < N * K; i++) {
        w[i] = i8 ? roundf(frand(&seed) * 127) / 128
                  : roundf(frand(&seed) * 256) / 256;
        if (i8 && i % K == 0) w[i] = 127.0f / 128;
        uint32_t bits;
        memcpy(&bits, &w[i], 4);
        w16[i] = dt == VLM_DTYPE_F16 ? to_f16(w[i]) : (uint16_t)(bits >> 16);
    }
    for (int i = 0; i < M * K; i++) x[i] = frand(&seed);
    for (int i = 0; i < N; i++) b[i] = frand(&seed);
    for (int i = 0; i < M * N; i++) y0[i] = y[i] = frand(&seed);
    vlm_tensor t = {.name = "w",
                    .dtype = dt,
                    .ndim = 2,
                    .shape = {N, K},
                    .numel = (int64_t)N * K,
                    .data = dt == VLM_DTYPE_F32 ? (const void *)w
                                                : (const void *)w16,
                    .nbytes = (size_t)N * K * (dt == VLM_DTYPE_F32 ? 4 : 2),
                    .path = "mem"};
    vlm_weight *vw;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(vlm_weight_create(&t, prec, &vw, err), VLM_OK, "%s", err);
    cr_assert_eq(vlm_weight_out(vw), N);
    cr_assert_eq(vlm_weight_in(vw), K);
    vlm_linear_ex(vw, with_bias ? b : NULL, x, M, y, act, accumulate);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = with_bias ? b[j] : 0;
            for (int k = 0; k < K; k++)
                s += (double)x[i * K + k] * w[j * K + k];
            double want = act_ref(act, s) + (accumulate ? y0[i * N + j] : 0);
            double d = fabs(want - y[i * N + j]);
            if (!(d <= worst)) worst = d;
        }
    cr_expect(worst <= tol * sqrt((double)K),
              "dtype %d prec %d M=%d N=%d K=%d act %d acc %d: max err %g",
              (int)dt, (int)prec, M, N, K, act, accumulate, worst);
    vlm_weight_destroy(vw);
    free(w);
    free(x);
    free(b);
    free(y);
    free(y0);
    free(w16);
}

static void sweep(vlm_precision prec, double tol)
{
    static const int shapes[][3] = {
        {1, 24, 64},   {3, 70, 45},   {16, 130, 300}, {17, 64, 96},
        {50, 96, 128}, {77, 130, 33}, {200, 64, 256}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int act = VLM_ACT_NONE; act <= VLM_ACT_GELU_TANH; act++)
            for (int acc = 0; acc < 2; acc++)
                run_case(VLM_DTYPE_F32, prec, shapes[s][0], shapes[s][1],
                         shapes[s][2], (vlm_act)act, acc, (act + acc) % 2 == 0,
                         tol);
    run_case(VLM_DTYPE_F16, prec, 5, 40, 48, VLM_ACT_NONE, 0, 1, tol);
    run_case(VLM_DTYPE_BF16, prec, 5, 40, 48, VLM_ACT_GELU, 1, 1, tol);
}

Test(gemm, f32)
{
    int prev = vlm_threads_enter(2);
    sweep(VLM_PREC_F32, 2e-6);
    vlm_threads_leave(prev);
}

/* oneDNN's packed copy; plain fp32 when built without oneDNN */
Test(gemm, f32_packed) { sweep(VLM_PREC_F32_PACKED, 2e-6); }

/* Native bf16 rounds x (weights here are exact in bf16): |err| ~ 2^-9 |x||w|
 * per term.  Emulated bf16 keeps x in fp32, so it is as exact as fp32. */
Test(gemm, bf16)
{
    int prev = vlm_threads_enter(2);
    sweep(VLM_PREC_BF16, vlm_bf16_native() ? 4e-3 : 2e-6);
    vlm_threads_leave(prev);
}

/* int8 weights that quantise exactly (see run_case): fp32 exactness */
Test(gemm, int8)
{
    int prev = vlm_threads_enter(2);
    sweep(VLM_PREC_INT8, 2e-6);
    vlm_threads_leave(prev);
}

/* Emulated bf16 keeps half-size plain weights (a BF16 file's own bytes);
 * native bf16 lives in oneDNN's packed copy. */
Test(gemm, bf16_storage_follows_the_mode)
{
    static uint16_t h[4 * 8];
    for (int i = 0; i < 32; i++) h[i] = 0x3f80; /* 1.0 */
    vlm_tensor t = {.name = "h",
                    .dtype = VLM_DTYPE_BF16,
                    .ndim = 2,
                    .shape = {4, 8},
                    .numel = 32,
                    .data = h,
                    .nbytes = sizeof h};
    vlm_weight *vw;
    char err[VLM_ERR_MAX];
    cr_assert_eq(vlm_weight_create(&t, VLM_PREC_BF16, &vw, err), VLM_OK, "%s",
                 err);
    cr_expect_eq(vlm_weight_is_plain(vw), !vlm_bf16_native());
    cr_expect_str_eq(vlm_gemm_backend(VLM_PREC_BF16),
                     vlm_bf16_native() ? "onednn" : "openblas-bf16");
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[4];
    vlm_linear(vw, NULL, x, 1, y);
    for (int i = 0; i < 4; i++) cr_expect_float_eq(y[i], 36.0f, 1e-5);
    vlm_weight_destroy(vw);
}

Test(gemm, conv_kernel_is_flattened)
{
    float w[2 * 3 * 2 * 2];
    for (int i = 0; i < 24; i++) w[i] = (float)i;
    vlm_tensor t = {.name = "conv",
                    .dtype = VLM_DTYPE_F32,
                    .ndim = 4,
                    .shape = {2, 3, 2, 2},
                    .numel = 24,
                    .data = w,
                    .nbytes = sizeof w,
                    .path = "mem"};
    vlm_weight *vw;
    char err[VLM_ERR_MAX];
    cr_assert_eq(vlm_weight_create(&t, VLM_PREC_F32, &vw, err), VLM_OK, "%s",
                 err);
    cr_expect_eq(vlm_weight_out(vw), 2);
    cr_expect_eq(vlm_weight_in(vw), 12);
    vlm_weight_destroy(vw);
    vlm_tensor bad = t;
    bad.ndim = 1;
    cr_expect_eq(vlm_weight_create(&bad, VLM_PREC_F32, &vw, err),
                 VLM_EMISMATCH);
}

/* Only F32 mode (and BF16 data in emulated BF16 mode) may keep using the
 * tensor's memory: every other precision works on after it is freed
 * (builds without oneDNN once read a freed buffer here). */
Test(gemm, copies_outlive_their_tensor)
{
    const vlm_precision precs[] = {VLM_PREC_F32_PACKED, VLM_PREC_BF16,
                                   VLM_PREC_INT8};
    for (size_t p = 0; p < sizeof precs / sizeof *precs; p++) {
        float *w = malloc(4 * 8 * sizeof(float));
        for (int i = 0; i < 32; i++) w[i] = i % 8 < 2 ? 1.0f : -1.0f;
        vlm_tensor t = {.name = "w",
                        .dtype = VLM_DTYPE_F32,
                        .ndim = 2,
                        .shape = {4, 8},
                        .numel = 32,
                        .data = w,
                        .nbytes = 32 * sizeof(float)};
        vlm_weight *vw;
        char err[VLM_ERR_MAX];
        cr_assert_eq(vlm_weight_create(&t, precs[p], &vw, err), VLM_OK, "%s",
                     err);
        for (int i = 0; i < 32; i++) w[i] = -100.0f; /* then gone */
        free(w);
        float x[8] = {1, 1, 1, 1, 1, 1, 1, 1}, y[4];
        vlm_linear(vw, NULL, x, 1, y);
        for (int i = 0; i < 4; i++)
            cr_expect_float_eq(y[i], -4.0f, 1e-5, "precision %d", (int)precs[p]);
        vlm_weight_destroy(vw);
    }
}
