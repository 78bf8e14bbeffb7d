/*
 * gemm_internal.h — what gemm.c shares with its oneDNN backend (gemm_dnnl.c).
 * Not a public header.
 */
#ifndef VLM_GEMM_INTERNAL_H
#define VLM_GEMM_INTERNAL_H

#include "model/core/gemm.h"

typedef struct dnnl_weight dnnl_weight;

struct vlm_weight {
    int out, in;
    vlm_precision prec;
    const float *f32;  /* [out][in] fp32, NULL once handed to oneDNN */
    float *owned;      /* set when f32 is our own copy */
    dnnl_weight *dnnl; /* oneDNN state, NULL when OpenBLAS runs it */
};

#ifdef VLM_HAVE_DNNL
/* Takes the fp32 weights [out][in], packs them (bf16 or fp32) for oneDNN. */
int gemm_dnnl_weight_create(const float *w, int out, int in, int bf16,
                            dnnl_weight **dw, char *err);
void gemm_dnnl_weight_destroy(dnnl_weight *dw);
void gemm_dnnl_linear(dnnl_weight *dw, const float *bias, const float *x, int M,
                      float *y, vlm_act act, int accumulate);
#endif

#endif
