/*
 * fixture_tensor.h — reading reference tensors out of a fixture's
 * expected.safetensors in tests (one helper for every room's tests).
 * Failures are Criterion assertions naming the tensor.
 */
#ifndef VLM_TEST_FIXTURE_TENSOR_H
#define VLM_TEST_FIXTURE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "model/weights/safetensors.h"

/* The tensor as malloc'ed floats / int32; *numel (may be NULL) its size. */
float *fixture_tensor_f32(const st_file *f, const char *name, size_t *numel);
int32_t *fixture_tensor_i32(const st_file *f, const char *name, size_t *numel);

#endif
