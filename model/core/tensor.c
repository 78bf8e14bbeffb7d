/* tensor.c — dtype names and sizes. */
#include "model/core/tensor.h"

#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_info[] = {
    [VLM_DTYPE_F64] = {"F64", 8},   [VLM_DTYPE_F32] = {"F32", 4},
    [VLM_DTYPE_F16] = {"F16", 2},   [VLM_DTYPE_BF16] = {"BF16", 2},
    [VLM_DTYPE_I64] = {"I64", 8},   [VLM_DTYPE_I32] = {"I32", 4},
    [VLM_DTYPE_I16] = {"I16", 2},   [VLM_DTYPE_I8] = {"I8", 1},
    [VLM_DTYPE_U64] = {"U64", 8},   [VLM_DTYPE_U32] = {"U32", 4},
    [VLM_DTYPE_U16] = {"U16", 2},   [VLM_DTYPE_U8] = {"U8", 1},
    [VLM_DTYPE_BOOL] = {"BOOL", 1},
};

#define N_DTYPES ((int)(sizeof dtype_info / sizeof dtype_info[0]))

size_t vlm_dtype_size(vlm_dtype t)
{
    return (int)t >= 0 && (int)t < N_DTYPES ? dtype_info[t].size : 0;
}

const char *vlm_dtype_name(vlm_dtype t)
{
    return (int)t >= 0 && (int)t < N_DTYPES ? dtype_info[t].name : "?";
}

int vlm_dtype_from_name(const char *name, vlm_dtype *out)
{
    for (int i = 0; name && i < N_DTYPES; i++) {
        if (strcmp(name, dtype_info[i].name) == 0) {
            *out = (vlm_dtype)i;
            return 0;
        }
    }
    return -1;
}
