/*
 * clip_tensors.h — fetching named, shape-checked tensors from a checkpoint
 * as the forms the towers use (owned fp32 vectors, vlm_weight matrices).
 * Names are built as printf formats so callers read like the HF layout.
 * Internal to model/clip (and model/llava may use it).
 */
#ifndef VLM_CLIP_TENSORS_H
#define VLM_CLIP_TENSORS_H

#include "model/core/gemm.h"
#include "model/weights/safetensors.h"

/* Owned fp32 copy of a tensor of exactly `ndim` dims `shape` (1-D: n). */
int clip_load_f32(const st_checkpoint *ck, const char *name, int ndim,
                  const int64_t *shape, float **out, char *err);
int clip_load_vec(const st_checkpoint *ck, const char *name, int64_t n,
                  float **out, char *err);

/* "<prefix>weight" [out,in] as a vlm_weight, and "<prefix>bias" [out] when
 * bias != NULL. */
int clip_load_linear(const st_checkpoint *ck, const char *prefix, int out_dim,
                     int in_dim, vlm_precision prec, vlm_weight **w,
                     float **bias, char *err);

/* "<prefix>weight" and "<prefix>bias", both [n]. */
int clip_load_norm(const st_checkpoint *ck, const char *prefix, int n,
                   float **w, float **b, char *err);

/* Row `row` of a 2-D float tensor as cols floats (any stored float dtype). */
void clip_tensor_row(const st_tensor *t, int64_t row, int cols, float *dst);

#endif
