/*
 * test_kernels.c — the dispatched kernels (kernels.h) against double
 * precision references: few-row products over every tail (rows, columns,
 * groups of x rows), layer norm, softmax and the activations.  They run on
 * the path this CPU gives; meson runs them again under VLMINDEX_MAX_ISA=avx2
 * and =generic so the narrower paths are tested on every machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/core/cpu.h"
#include "model/core/dtype_convert.h"
#include "model/core/gemm.h"
#include "model/core/kernels.h"
#include "model/core/kernels_internal.h"

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((float)((*s >> 8) & 0xffff) / 65535.0f - 0.5f) * 2.0f;
}

Test(kernels, table_is_the_isa_in_use)
{
    cr_expect_str_eq(vlm_kernels()->isa, vlm_isa_name(vlm_cpu_isa()));
}

/* y (+)= x W^T for every M < 10, rows over a 16-row block, in with and
 * without a vector tail, into a strided y.  kind: 0 f32, 1 bf16, 2 int8
 * (the reference uses the weights each form stores exactly). */
static void rows_case(int kind, int M, int rows, int in, int acc)
{
    unsigned s = (unsigned)(M * 7919 + rows * 31 + in + acc);
    float *w = malloc(sizeof(float) * rows * in), *x = malloc(4 * M * in);
    uint16_t *wb = malloc(2 * (size_t)rows * in);
    int8_t *wq = malloc((size_t)rows * in);
    float *scale = malloc(sizeof(float) * rows);
    const int ldy = rows + 3;
    float *y = malloc(4 * (size_t)M * ldy), *y0 = malloc(4 * (size_t)M * ldy);
    for (int i = 0; i < rows * in; i++) {
        w[i] = frand(&s);
        wb[i] = vlm_f32_to_bf16(w[i]);
        wq[i] = (int8_t)(s >> 24) % 127;
        if (kind == 1) w[i] = vlm_bf16_to_f32(wb[i]);
    }
    for (int r = 0; r < rows; r++) {
        scale[r] = 0.01f * (float)(r + 1);
        for (int k = 0; kind == 2 && k < in; k++)
            w[r * in + k] = wq[r * in + k] * scale[r];
    }
    for (int i = 0; i < M * in; i++) x[i] = frand(&s);
    for (int i = 0; i < M * ldy; i++) y0[i] = y[i] = frand(&s);
    if (kind == 1)
        vlm_rows_bf16(wb, rows, in, x, M, y, ldy, acc);
    else if (kind == 2)
        vlm_rows_i8(wq, scale, rows, in, x, M, y, ldy, acc);
    else
        vlm_rows_f32(w, rows, in, x, M, y, ldy, acc);
    for (int m = 0; m < M; m++)
        for (int r = 0; r < ldy; r++) {
            double want = y0[m * ldy + r];
            if (r < rows) {
                double d = 0;
                for (int k = 0; k < in; k++)
                    d += (double)w[r * in + k] * x[m * in + k];
                want = acc ? want + d : d;
            }
            cr_assert(fabs(y[m * ldy + r] - want) <= 1e-5 * sqrt(in + 1.0),
                      "kind %d M %d rows %d in %d acc %d: y[%d][%d] %g vs %g",
                      kind, M, rows, in, acc, m, r, y[m * ldy + r], want);
        }
    free(w);
    free(wb);
    free(wq);
    free(scale);
    free(x);
    free(y);
    free(y0);
}

Test(kernels, rows_f32_bf16_int8_every_tail)
{
    static const int rows[] = {1, 2, 15, 16, 17, 37};
    static const int ins[] = {1, 7, 16, 64, 67, 300};
    for (int kind = 0; kind < 3; kind++)
        for (int M = 1; M < 10; M++)
            for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
                for (size_t i = 0; i < sizeof ins / sizeof *ins; i++)
                    rows_case(kind, M, rows[r], ins[i], (M + r + i) % 2);
}

Test(kernels, layer_norm_in_place_and_apart)
{
    enum {
        R = 20,
        N = 77
    };
    static float x[R * N], y[R * N], w[N], b[N];
    unsigned s = 3;
    for (int i = 0; i < R * N; i++) x[i] = 3 * frand(&s) + 1;
    for (int i = 0; i < N; i++) {
        w[i] = frand(&s);
        b[i] = frand(&s);
    }
    vlm_layer_norm(x, y, R, N, w, b, 1e-5f);
    for (int r = 0; r < R; r++) {
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += x[r * N + i];
        mean /= N;
        for (int i = 0; i < N; i++)
            var += (x[r * N + i] - mean) * (x[r * N + i] - mean);
        double inv = 1 / sqrt(var / N + 1e-5);
        for (int i = 0; i < N; i++) {
            double want = (x[r * N + i] - mean) * inv * w[i] + b[i];
            cr_assert(fabs(y[r * N + i] - want) < 1e-5, "%d,%d: %g vs %g", r, i,
                      y[r * N + i], want);
        }
    }
    vlm_layer_norm(x, x, R, N, w, b, 1e-5f);
    cr_expect_arr_eq(x, y, sizeof x);
}

Test(kernels, softmax_matches_reference)
{
    for (int n = 1; n < 80; n += 13) {
        float x[80];
        double want[80], sum = 0, mx = -1e30;
        unsigned s = (unsigned)n;
        for (int i = 0; i < n; i++) {
            x[i] = 20 * frand(&s);
            if (x[i] > mx) mx = x[i];
        }
        for (int i = 0; i < n; i++) sum += want[i] = exp(x[i] - mx);
        vlm_softmax(x, n);
        for (int i = 0; i < n; i++)
            cr_assert(fabs(x[i] - want[i] / sum) < 1e-6, "n %d [%d]", n, i);
    }
}

Test(kernels, activations_match_reference)
{
    enum {
        N = 1001
    };
    static float x[N];
    for (int a = VLM_ACT_QUICK_GELU; a <= VLM_ACT_GELU_TANH; a++) {
        for (int i = 0; i < N; i++) x[i] = (float)(i - 500) / 50; /* -10..10 */
        vlm_act_apply((vlm_act)a, x, N);
        for (int i = 0; i < N; i++) {
            double v = (i - 500) / 50.0, want;
            if (a == VLM_ACT_QUICK_GELU)
                want = v / (1 + exp(-1.702 * v));
            else if (a == VLM_ACT_GELU)
                want = 0.5 * v * (1 + erf(v / sqrt(2.0)));
            else
                want = 0.5 * v *
                       (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
            cr_assert(fabs(x[i] - want) < 2e-6 * (1 + fabs(want)),
                      "act %d at %g: %g vs %g", a, v, x[i], want);
        }
    }
}
