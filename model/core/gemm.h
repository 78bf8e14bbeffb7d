/*
 * gemm.h — the single matrix-multiply interface of model/.
 *
 * Every Linear layer in every tower goes through vlm_linear(), so the backend
 * (OpenBLAS fp32, oneDNN fp32/bf16, our own few-row kernels) is a build- or
 * run-time choice made here and nowhere else.  Weights use PyTorch's Linear
 * layout W[out][in].  Every precision works on every CPU.
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
    VLM_PREC_BF16 = 1,       /* bf16 weights, fp32 accumulate: native
                                (oneDNN) or emulated, see vlm_bf16_native */
    VLM_PREC_F32_PACKED = 2, /* fp32 math on weights repacked for oneDNN
                                (a private copy; steadier at small M) */
    VLM_PREC_INT8 = 3,       /* int8 weights, one scale per output row, fp32
                                math: a quarter of fp32's bytes, for
                                memory-bound products (a text query) */
} vlm_precision;

typedef struct vlm_weight vlm_weight;

/* Wraps a 2-D tensor [out,in] (a 4-D conv kernel [out,c,kh,kw] is taken as
 * [out, c*kh*kw]) of any float dtype (F32/F16/BF16).  F32 mode: F32 weights
 * are used straight from the mapping (no copy) when 4-byte aligned, others
 * are converted once at load.  BF16 mode keeps half-size weights: oneDNN's
 * packed bf16 where the CPU has a native bf16 matmul, else plain bf16 (BF16
 * files straight from the mapping) widened to fp32 block by block while
 * multiplying.  INT8 mode quantises each row symmetrically (absmax / 127)
 * at load.  F32_PACKED without oneDNN is a plain fp32 copy.
 * The weight uses t->data in place, which must then outlive it, in two
 * cases only: aligned F32 data in F32 mode, and BF16 data in BF16 mode where
 * bf16 is emulated.  Every other combination keeps its own copy. */
int vlm_weight_create(const vlm_tensor *t, vlm_precision prec, vlm_weight **out,
                      char *err);
void vlm_weight_destroy(vlm_weight *w);
int vlm_weight_out(const vlm_weight *w);
int vlm_weight_in(const vlm_weight *w);
/* 1 when w holds plain rows (fp32, bf16, int8), which products of a few rows
 * stream at memory speed; 0 when only oneDNN's packed copy exists. */
int vlm_weight_is_plain(const vlm_weight *w);

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

/* C[M,N] = alpha * A[M,K] * B (B is [K,N]; with trans_b B is [N,K] used
 * transposed) + beta * C, row-major with leading dimensions.  For the small
 * per-head products of attention: always single-threaded, so it can be
 * called from inside parallel loops. */
void vlm_gemm_small(int trans_b, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc);

/* Which backend runs large GEMMs of this precision: "openblas", "onednn",
 * "openblas-bf16" (emulated bf16) or "openblas-int8" (int8 widened per
 * block).  Products of at most 16 rows on plain weights run on our own
 * kernels (kernels.h). */
const char *vlm_gemm_backend(vlm_precision prec);

/* 1 when VLM_PREC_BF16 runs natively: oneDNN has a bf16 matmul on this CPU
 * (AVX512_BF16, AMX, or oneDNN's AVX-512 code) and the ISA path in use
 * (cpu.h) is avx512.  0: bf16 is emulated — bf16 weights (half the memory),
 * fp32 arithmetic at fp32 speed.  Decided once per process. */
int vlm_bf16_native(void);

/* One line naming the GEMM libraries with the paths they picked, and the
 * bf16 mode, e.g. "gemm: openblas 0.3.21 (Haswell), onednn 2.6.3
 * (avx2), bf16 emulated (bf16 weights, fp32 math)". */
int vlm_gemm_describe(char *buf, size_t n);

#endif
