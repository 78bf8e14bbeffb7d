/*
 * st_internal.h — helpers shared by the safetensors files of this room only
 * (not part of the public API).
 */
#ifndef VLM_ST_INTERNAL_H
#define VLM_ST_INTERNAL_H

#include "model/weights/safetensors.h"

/* Parses a header dtype string ("F32", "BF16", ...).  Returns 0 on success. */
int st_dtype_parse(const char *s, st_dtype *out);

/* Comparison of st_tensor pointers by name, for qsort/bsearch. */
int st_tensor_ptr_cmp(const void *a, const void *b);

/* Binary search in an array of tensor pointers sorted by name. */
const st_tensor *st_sorted_find(const st_tensor *const *sorted, int n,
                                const char *name);

#endif
