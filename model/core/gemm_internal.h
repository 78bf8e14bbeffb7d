/*
 * gemm_internal.h — what the files of vlm_linear share: the weight struct
 * and the backends (gemm_blas.c: OpenBLAS, fp32 or bf16 widened in blocks;
 * gemm_rows.c: few-row products; gemm_dnnl.c: oneDNN).  Not a public header.
 */
#ifndef VLM_GEMM_INTERNAL_H
#define VLM_GEMM_INTERNAL_H

#include "model/core/gemm.h"

typedef struct dnnl_weight dnnl_weight;

struct vlm_weight {
    int out, in;
    vlm_precision prec;
    const float *f32;     /* [out][in] fp32, or NULL */
    const uint16_t *bf16; /* [out][in] bf16 (emulated bf16), or NULL */
    const int8_t *i8;     /* [out][in] int8 times scale[out], or NULL */
    float *scale;
    void *owned;       /* our copy behind f32, bf16 or i8, if not mapped */
    dnnl_weight *dnnl; /* oneDNN's packed copy, or NULL */
};

/* y = act(x W^T + bias) (+ y), M large: OpenBLAS, over the plain fp32
 * weights or bf16 / int8 ones widened a cache-sized block at a time. */
void gemm_blas_linear(const vlm_weight *w, const float *bias, const float *x,
                      int M, float *y, vlm_act act, int accumulate);

/* The same for a few rows (M <= GEMM_ROWS_MAX): streams the plain weights
 * once (kernels.h vlm_rows_*). */
enum {
    GEMM_ROWS_MAX = 16
};
void gemm_rows_linear(const vlm_weight *w, const float *bias, const float *x,
                      int M, float *y, vlm_act act, int accumulate);

#ifdef VLM_HAVE_DNNL
/* Takes the fp32 weights [out][in], packs them (bf16 or fp32) for oneDNN. */
int gemm_dnnl_weight_create(const float *w, int out, int in, int bf16,
                            dnnl_weight **dw, char *err);
void gemm_dnnl_weight_destroy(dnnl_weight *dw);
void gemm_dnnl_linear(dnnl_weight *dw, const float *bias, const float *x, int M,
                      float *y, vlm_act act, int accumulate);
/* 1 when oneDNN has a bf16 matmul on this CPU (under the ISA cap). */
int gemm_dnnl_bf16_available(void);
/* "onednn 2.6.3 (avx2)": the version and the ISA oneDNN runs. */
int gemm_dnnl_describe(char *buf, size_t n);
#endif

#endif
