/*
 * ckpt_convert.h — a copy of a fixture checkpoint folder whose floating
 * weights are stored in another dtype (F16 / BF16), for the tests that every
 * dtype loads.  Non-float tensors (the I64 position_ids buffers) are copied
 * as they are; every other file of the folder is symlinked.  Failures are
 * Criterion assertions.
 */
#ifndef VLM_TEST_CKPT_CONVERT_H
#define VLM_TEST_CKPT_CONVERT_H

#include <stddef.h>

#include "model/weights/safetensors.h"

/* Creates a new temp folder (its path into out) holding src converted to
 * dtype (ST_F16 or ST_BF16). */
void ckpt_convert(const char *src, st_dtype dtype, char *out, size_t cap);

/* Removes a folder made by ckpt_convert. */
void ckpt_convert_remove(const char *dir);

#endif
