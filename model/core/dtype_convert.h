/*
 * dtype_convert.h — the one place that widens stored tensors to float (and
 * int32) and narrows float to bf16.
 *
 * Tensor data is only byte-aligned inside a mapping, so the bulk forms take
 * any source alignment.  Half-precision conversions are exact (every F16
 * and BF16 value is a float); float -> bf16 rounds to nearest even and keeps
 * NaNs NaN.
 */
#ifndef VLM_DTYPE_CONVERT_H
#define VLM_DTYPE_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/tensor.h"

float vlm_f16_to_f32(uint16_t h);
float vlm_bf16_to_f32(uint16_t b);
uint16_t vlm_f32_to_bf16(float f);

/* n elements of a floating dtype (F32/F16/BF16) at src into dst: the bulk
 * loops of loading and of the bf16 weight paths.  Other dtypes leave dst
 * untouched and return -1. */
int vlm_floats_to_f32(vlm_dtype dt, const void *src, float *dst, size_t n);
/* n floats rounded to bf16. */
void vlm_f32_to_bf16_n(const float *src, uint16_t *dst, size_t n);

/* All of t (F32/F16/BF16/F64, or I32/I64/U8 for integer fixture data) into
 * n floats at dst; n must equal t->numel. */
int vlm_tensor_to_f32(const vlm_tensor *t, float *dst, size_t n, char *err);
/* Rows [row, row + nrows) of t, a row being one index of its first
 * dimension (numel / shape[0] elements), into dst.  Floating dtypes only. */
int vlm_tensor_rows_to_f32(const vlm_tensor *t, int64_t row, int64_t nrows,
                           float *dst, char *err);
/* All of t (F32/F16/BF16) rounded to n bf16 values at dst. */
int vlm_tensor_to_bf16(const vlm_tensor *t, uint16_t *dst, size_t n, char *err);
/* A matrix t (rows = shape[0], floating dtype) quantised row by row to
 * int8: scale[r] = max |t[r][k]| / 127, q[r][k] = round(t[r][k] / scale[r])
 * (symmetric, so 0 stays 0; an all-zero row gets scale 0). */
int vlm_tensor_to_i8_rows(const vlm_tensor *t, int8_t *q, float *scale,
                          char *err);
/* Integer tensors into int32 (I32/I64/U8/I16/U16/I8), range-checked. */
int vlm_tensor_to_i32(const vlm_tensor *t, int32_t *dst, size_t n, char *err);

#endif
