/*
 * gemm.h — the single matrix-multiply interface of model/.
 *
 * Every Linear layer in every tower goes through vlm_linear(), so the backend
 * (OpenBLAS fp32, oneDNN fp32/bf16) is a build- or run-time choice made here
 * and nowhere else.  Weights use PyTorch's Linear layout W[out][in].
 */
#ifndef VLM_GEMM_H
#define VLM_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/tensor.h"
#include "model/core/threads.h"
#include "model/core/vlm_error.h"

typedef enum vlm_precision {
    VLM_PREC_F32 = 0,        /* fp32 weights and math (reference parity) */
    VLM_PREC_BF16 = 1,       /* bf16 weights, fp32 accumulate (fast path) */
    VLM_PREC_F32_PACKED = 2, /* fp32 math on weights repacked for oneDNN
                                (a private copy; steadier at small M) */
} vlm_precision;

typedef struct vlm_weight vlm_weight;

/* Wraps a 2-D tensor [out,in] (a 4-D conv kernel [out,c,kh,kw] is taken as
 * [out, c*kh*kw]).  F32 weights in F32 mode are used straight from the
 * mapping (no copy) when 4-byte aligned; F16/BF16 are converted once at load.
 * BF16 mode needs oneDNN; without it the weight is kept in fp32
 * (vlm_gemm_backend says which). */
int vlm_weight_create(const vlm_tensor *t, vlm_precision prec, vlm_weight **out,
                      char *err);
void vlm_weight_destroy(vlm_weight *w);
int vlm_weight_out(const vlm_weight *w);
int vlm_weight_in(const vlm_weight *w);

/* y[M,out] = x[M,in] * W^T (+ bias[out] when bias != NULL), on the
 * calling thread's thread count (threads.h). */
void vlm_linear(const vlm_weight *w, const float *bias, const float *x, int M,
                float *y);

/* Activations a GEMM can fuse into its epilogue. */
typedef enum vlm_act {
    VLM_ACT_NONE = 0,
    VLM_ACT_QUICK_GELU, /* x * sigmoid(1.702 x) (OpenAI CLIP) */
    VLM_ACT_GELU,       /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
    VLM_ACT_GELU_TANH,  /* tanh approximation ("gelu_new") */
} vlm_act;

/* y = act(x W^T + bias), or with accumulate != 0: y += act(x W^T + bias)
 * (a fused residual add).  x and y must not overlap. */
void vlm_linear_ex(const vlm_weight *w, const float *bias, const float *x,
                   int M, float *y, vlm_act act, int accumulate);

/* Applies act in place to n floats (the unfused fallback; also for tests). */
void vlm_act_apply(vlm_act act, float *x, size_t n);

/* x[0..n) = softmax(x[0..n)) in place (n >= 1), with the same vectorised
 * exp as the activations; single-threaded, for attention rows. */
void vlm_softmax(float *x, int n);

/* C[M,N] = alpha * A[M,K] * B (B is [K,N]; with trans_b B is [N,K] used
 * transposed) + beta * C, row-major with leading dimensions.  For the small
 * per-head products of attention: always single-threaded, so it can be
 * called from inside parallel loops. */
void vlm_gemm_small(int trans_b, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc);

/* Which backend runs GEMMs of this precision: "openblas", "onednn". */
const char *vlm_gemm_backend(vlm_precision prec);

#endif
