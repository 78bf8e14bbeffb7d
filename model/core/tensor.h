/*
 * tensor.h — element types and the read-only tensor view of model/.
 *
 * A vlm_tensor describes data somebody else owns (a safetensors mapping, a
 * buffer a loader built): it is passed by pointer and never frees anything.
 * The dtype names are safetensors' spellings ("F32", "BF16", ...), the
 * format every checkpoint arrives in; model/weights aliases these types as
 * st_dtype / st_tensor.
 */
#ifndef VLM_TENSOR_H
#define VLM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum vlm_dtype {
    VLM_DTYPE_F64,
    VLM_DTYPE_F32,
    VLM_DTYPE_F16,
    VLM_DTYPE_BF16,
    VLM_DTYPE_I64,
    VLM_DTYPE_I32,
    VLM_DTYPE_I16,
    VLM_DTYPE_I8,
    VLM_DTYPE_U64,
    VLM_DTYPE_U32,
    VLM_DTYPE_U16,
    VLM_DTYPE_U8,
    VLM_DTYPE_BOOL,
} vlm_dtype;

#define VLM_TENSOR_MAX_DIMS 8

typedef struct vlm_tensor {
    const char *name; /* owned by whoever owns the data */
    vlm_dtype dtype;
    int ndim; /* 0 for a scalar */
    int64_t shape[VLM_TENSOR_MAX_DIMS];
    int64_t numel;    /* product of shape (1 for a scalar) */
    const void *data; /* little-endian elements, aligned to 1 byte only */
    size_t nbytes;
    const char *path; /* file the data comes from (for messages), or NULL */
} vlm_tensor;

/* Bytes per element; 0 for a value outside the enum. */
size_t vlm_dtype_size(vlm_dtype t);
/* "F32", "BF16", ...; "?" for a value outside the enum. */
const char *vlm_dtype_name(vlm_dtype t);
/* The dtype spelled `name`; -1 (and *out untouched) when there is none. */
int vlm_dtype_from_name(const char *name, vlm_dtype *out);

#endif
