/* The one-token GEMV kernels against a double-precision reference: fp32
 * weights from the tensor as is, bf16 weights (converted copy, x kept in
 * fp32), odd sizes to reach the scalar tails, accumulate mode.  Runs on the
 * kernel path of this CPU (VLMINDEX_MAX_ISA selects the others). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "model/llava/llama_gemv.h"

enum {
    OUT = 300,
    IN = 2 * 64 + 37
};

static float w[OUT * IN], x[IN];

static st_tensor make_tensor(void)
{
    uint32_t s = 12345;
    for (int i = 0; i < OUT * IN; i++) {
        s = s * 1664525u + 1013904223u;
        w[i] = (float)((int)(s >> 9) % 2001 - 1000) / 1000.0f;
    }
    for (int j = 0; j < IN; j++) x[j] = sinf((float)j);
    st_tensor t = {.name = "w",
                   .dtype = ST_F32,
                   .ndim = 2,
                   .shape = {OUT, IN},
                   .numel = OUT * IN,
                   .data = w,
                   .nbytes = sizeof w};
    return t;
}

static double reference(int r, int round_bf16)
{
    double s = 0;
    for (int j = 0; j < IN; j++) {
        float a = w[r * IN + j], b = x[j];
        if (round_bf16) a = st_bf16_to_f32(st_f32_to_bf16(a));
        s += (double)a * b;
    }
    return s;
}

static void check(vlm_precision prec, double tol)
{
    st_tensor t = make_tensor();
    llama_gemv g;
    char err[VLM_ERR_MAX];
    cr_assert_eq(llama_gemv_init(&g, &t, prec, err), VLM_OK, "%s", err);
    cr_assert(llama_gemv_ready(&g));
    cr_assert_eq(prec == VLM_PREC_F32, g.f32 == w,
                 "fp32 must use the data in place");
    float y[OUT];
    for (int r = 0; r < OUT; r++) y[r] = 1.0f;
    llama_gemv_run(&g, x, y, 1);
    for (int r = 0; r < OUT; r++) {
        const double want = 1.0 + reference(r, prec == VLM_PREC_BF16);
        cr_assert_leq(fabs(y[r] - want), tol * (1 + fabs(want)),
                      "row %d: %g vs %g", r, y[r], want);
    }
    llama_gemv_run(&g, x, y, 0);
    cr_assert_leq(fabs(y[7] - reference(7, prec == VLM_PREC_BF16)), tol * 10);
    llama_gemv_free(&g);
}

Test(llama_gemv, f32_matches_reference) { check(VLM_PREC_F32, 1e-5); }
/* Exact products of bf16-rounded w and fp32 x, accumulated in fp32. */
Test(llama_gemv, bf16_matches_rounded_reference) { check(VLM_PREC_BF16, 1e-5); }

Test(llama_gemv, f16_file_in_f32_mode_defers_to_vlm_linear)
{
    static uint16_t h[4] = {0x3c00, 0x3c00, 0x3c00, 0x3c00};
    st_tensor t = {.name = "h",
                   .dtype = ST_F16,
                   .ndim = 2,
                   .shape = {2, 2},
                   .numel = 4,
                   .data = h,
                   .nbytes = sizeof h};
    llama_gemv g;
    char err[VLM_ERR_MAX];
    cr_assert_eq(llama_gemv_init(&g, &t, VLM_PREC_F32, err), VLM_OK);
    cr_assert_not(llama_gemv_ready(&g));
    cr_assert_eq(llama_gemv_init(&g, &t, VLM_PREC_BF16, err), VLM_OK);
    cr_assert(llama_gemv_ready(&g));
    float xv[2] = {1, 2}, y[2];
    llama_gemv_run(&g, xv, y, 0);
    cr_assert_float_eq(y[0], 3.0f, 1e-6);
    llama_gemv_free(&g);
}
