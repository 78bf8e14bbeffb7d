/* st_dtype.c — header dtype strings, and name lookup over sorted tensors. */
#include "model/weights/st_internal.h"

#include <stdlib.h>
#include <string.h>

int st_dtype_parse(const char *s, st_dtype *out)
{
    return vlm_dtype_from_name(s, out);
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
