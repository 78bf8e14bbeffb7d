/* st_dtype.c — dtype names and sizes, and name lookup over sorted tensors. */
#include "model/weights/st_internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_info[] = {
    [ST_F64] = {"F64", 8},   [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2},
    [ST_BF16] = {"BF16", 2}, [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4},
    [ST_I16] = {"I16", 2},   [ST_I8] = {"I8", 1},   [ST_U64] = {"U64", 8},
    [ST_U32] = {"U32", 4},   [ST_U16] = {"U16", 2}, [ST_U8] = {"U8", 1},
    [ST_BOOL] = {"BOOL", 1},
};

#define N_DTYPES ((int)(sizeof dtype_info / sizeof dtype_info[0]))

size_t st_dtype_size(st_dtype t)
{
    return (int)t >= 0 && (int)t < N_DTYPES ? dtype_info[t].size : 0;
}

const char *st_dtype_name(st_dtype t)
{
    return (int)t >= 0 && (int)t < N_DTYPES ? dtype_info[t].name : "?";
}

int st_dtype_parse(const char *s, st_dtype *out)
{
    for (int i = 0; i < N_DTYPES; i++) {
        if (strcmp(s, dtype_info[i].name) == 0) {
            *out = (st_dtype)i;
            return 0;
        }
    }
    return -1;
}

int st_tensor_ptr_cmp(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a;
    const st_tensor *y = *(const st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

const st_tensor *st_sorted_find(const st_tensor *const *sorted, int n,
                                const char *name)
{
    if (!name) return NULL;
    st_tensor key = {.name = name};
    const st_tensor *kp = &key;
    const st_tensor *const *hit =
        bsearch(&kp, sorted, (size_t)n, sizeof *sorted, st_tensor_ptr_cmp);
    return hit ? *hit : NULL;
}
