/* kernels.c — picks the kernel table of vlm_cpu_isa(); see kernels.h. */
#include "model/core/kernels.h"

#include "model/core/cpu.h"
#include "model/core/kernels_internal.h"

const vlm_kernel_table *vlm_kernels(void)
{
#if defined(__x86_64__)
    switch (vlm_cpu_isa()) {
    case VLM_ISA_AVX512: return &vlm_kernels_avx512;
    case VLM_ISA_AVX2: return &vlm_kernels_avx2;
    default: break;
    }
#endif
    return &vlm_kernels_generic;
}

void vlm_rows_f32(const float *w, int rows, int in, const float *x, int M,
                  float *y, int ldy, int accumulate)
{
    vlm_kernels()->rows_f32(w, rows, in, x, M, y, ldy, accumulate);
}

void vlm_rows_bf16(const uint16_t *w, int rows, int in, const float *x, int M,
                   float *y, int ldy, int accumulate)
{
    vlm_kernels()->rows_bf16(w, rows, in, x, M, y, ldy, accumulate);
}

void vlm_rows_i8(const int8_t *w, const float *scale, int rows, int in,
                 const float *x, int M, float *y, int ldy, int accumulate)
{
    vlm_kernels()->rows_i8(w, scale, rows, in, x, M, y, ldy, accumulate);
}

void vlm_layer_norm(const float *x, float *y, int rows, int n, const float *w,
                    const float *b, float eps)
{
    const vlm_kernel_table *k = vlm_kernels();
#pragma omp parallel for schedule(static) if (rows >= 16)
    for (int r = 0; r < rows; r++)
        k->layer_norm(x + (size_t)r * n, y + (size_t)r * n, n, w, b, eps);
}

void vlm_softmax(float *x, int n) { vlm_kernels()->softmax(x, n); }
