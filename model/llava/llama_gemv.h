/*
 * llama_gemv.h — matrix x vector for the decoder's one-token steps.
 *
 * Why it exists: generating one token multiplies every weight by a single
 * activation row, which is purely memory-bound.  vlm_linear (gemm.h)
 * streams plain weights itself for a few rows, but weights oneDNN packed
 * (native bf16) exist only in its blocked layout, which oneDNN's own M = 1
 * path reads slowly.  This keeps a plain copy of such a weight — bf16
 * straight from the mapping when the file is BF16 — for the one-token
 * steps, through the kernels.h products (fp32 x, bf16 widened).
 */
#ifndef VLM_LLAMA_GEMV_H
#define VLM_LLAMA_GEMV_H

#include <stdint.h>

#include "model/core/gemm.h"
#include "model/weights/safetensors.h"

typedef struct llama_gemv {
    int out, in;
    const float *f32;     /* row-major [out,in] when fp32 */
    const uint16_t *bf16; /* row-major [out,in] when bf16 */
    uint16_t *owned;      /* the bf16 copy, when the file is not bf16 */
} llama_gemv;

/* Prepares t [out,in] for `prec`.  Leaves g->f32 and g->bf16 NULL (use
 * vlm_linear instead) when no copy-free or bf16 form applies: fp32 wanted
 * from an F16/BF16 file, or data not aligned to its element size. */
int llama_gemv_init(llama_gemv *g, const st_tensor *t, vlm_precision prec,
                    char *err);
void llama_gemv_free(llama_gemv *g);
static inline int llama_gemv_ready(const llama_gemv *g)
{
    return g->f32 || g->bf16;
}

/* y[out] = W x (accumulate: y += W x), rows split over the calling
 * thread's count (threads.h). */
void llama_gemv_run(const llama_gemv *g, const float *x, float *y,
                    int accumulate);

#endif
