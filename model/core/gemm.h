/*
 * gemm.h — the single matrix-multiply interface of model/.
 *
 * Every Linear layer in every tower goes through vlm_linear(), so the backend
 * (OpenBLAS fp32, oneDNN fp32/bf16) is a build- or run-time choice made here
 * and nowhere else.  Weights use PyTorch's Linear layout W[out][in].
 */
#ifndef VLM_GEMM_H
#define VLM_GEMM_H

#include <stdint.h>

#include "model/core/vlm_error.h"
#include "model/weights/safetensors.h"

typedef enum vlm_precision {
    VLM_PREC_F32 = 0,  /* fp32 weights and math (reference parity) */
    VLM_PREC_BF16 = 1, /* bf16 weights, fp32 accumulate (fast path) */
} vlm_precision;

typedef struct vlm_weight vlm_weight;

/* Wraps a 2-D tensor [out,in].  F32 weights in F32 mode are used straight
 * from the mapping (no copy); F16/BF16 are converted once at load. */
int vlm_weight_create(const st_tensor *t, vlm_precision prec, vlm_weight **out,
                      char *err);
void vlm_weight_destroy(vlm_weight *w);
int vlm_weight_out(const vlm_weight *w);
int vlm_weight_in(const vlm_weight *w);

/* y[M,out] = x[M,in] * W^T (+ bias[out] when bias != NULL). */
void vlm_linear(const vlm_weight *w, const float *bias, const float *x, int M,
                float *y);

/* Threads used by GEMMs and by the hand-written loops (attention, norms). */
void vlm_set_threads(int n);
int vlm_get_threads(void);

#endif
