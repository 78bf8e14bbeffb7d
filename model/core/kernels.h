/*
 * kernels.h — the hand-written hot loops of model/: weight-streaming
 * products for a few rows, row norms, softmax.  Each is compiled once per
 * ISA path (cpu.h: avx512, avx2, generic) and the path of vlm_cpu_isa() runs.
 *
 * Single-threaded unless stated: callers split the work (vlm_linear does
 * for the products).  Inputs and outputs must not overlap unless stated.
 */
#ifndef VLM_KERNELS_H
#define VLM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* y[m * ldy + r] = sum_k w[r * in + k] * x[m * in + k] for r < rows,
 * m < M (accumulate != 0: y += ...).  Each weight is read from memory once
 * for all M rows of x, so for small M (one token, a short text) the cost is
 * streaming the weights: fp32, or bf16 / int8 widened on the fly.  w needs
 * only element alignment. */
void vlm_rows_f32(const float *w, int rows, int in, const float *x, int M,
                  float *y, int ldy, int accumulate);
void vlm_rows_bf16(const uint16_t *w, int rows, int in, const float *x, int M,
                   float *y, int ldy, int accumulate);
/* The same for int8 weights with one scale per row: w[r][k] * scale[r]. */
void vlm_rows_i8(const int8_t *w, const float *scale, int rows, int in,
                 const float *x, int M, float *y, int ldy, int accumulate);

/* y[r] = LayerNorm(x[r]) * w + b for `rows` rows of n; y may equal x.
 * Rows are split over the calling thread's count (threads.h). */
void vlm_layer_norm(const float *x, float *y, int rows, int n, const float *w,
                    const float *b, float eps);

/* x[0..n) = softmax(x[0..n)) in place (max-subtracted). */
void vlm_softmax(float *x, int n);

#endif
