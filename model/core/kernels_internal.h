/*
 * kernels_internal.h — the table each ISA build of kernels_isa.c fills, and
 * the one in use.  Not a public header: model code calls kernels.h,
 * dtype_convert.h and gemm.h.
 */
#ifndef VLM_KERNELS_INTERNAL_H
#define VLM_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/gemm.h"

typedef struct vlm_kernel_table {
    const char *isa; /* "avx512", "avx2", "generic" */
    /* element conversions; src needs no alignment */
    void (*f16_to_f32)(const void *src, float *dst, size_t n);
    void (*bf16_to_f32)(const void *src, float *dst, size_t n);
    void (*f32_to_bf16)(const float *src, uint16_t *dst, size_t n);
    /* kernels.h vlm_rows_* */
    void (*rows_f32)(const float *w, int rows, int in, const float *x, int M,
                     float *y, int ldy, int accumulate);
    void (*rows_bf16)(const uint16_t *w, int rows, int in, const float *x,
                      int M, float *y, int ldy, int accumulate);
    void (*rows_i8)(const int8_t *w, const float *scale, int rows, int in,
                    const float *x, int M, float *y, int ldy, int accumulate);
    /* rows x in int8 weights times their row scales, as fp32 */
    void (*i8_to_f32)(const int8_t *w, const float *scale, int rows, int in,
                      float *dst);
    /* one row each */
    void (*act)(vlm_act act, float *x, size_t n);
    void (*layer_norm)(const float *x, float *y, int n, const float *w,
                       const float *b, float eps);
    void (*softmax)(float *x, int n);
} vlm_kernel_table;

extern const vlm_kernel_table vlm_kernels_generic;
#if defined(__x86_64__)
extern const vlm_kernel_table vlm_kernels_avx2;
extern const vlm_kernel_table vlm_kernels_avx512;
#endif

/* The table of vlm_cpu_isa(). */
const vlm_kernel_table *vlm_kernels(void);

#endif
