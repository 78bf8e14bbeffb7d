#include "tests/common/fixture_tensor.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* st_tensor_to_f32 / _i32 behind one signature. */
typedef int (*convert_fn)(const st_tensor *t, void *dst, size_t n, char *err);

static int to_f32(const st_tensor *t, void *dst, size_t n, char *err)
{
    return st_tensor_to_f32(t, dst, n, err);
}

static int to_i32(const st_tensor *t, void *dst, size_t n, char *err)
{
    return st_tensor_to_i32(t, dst, n, err);
}

static void *read_tensor(const st_file *f, const char *name, size_t elem,
                         convert_fn convert, size_t *numel)
{
    const st_tensor *t = st_file_find(f, name);
    cr_assert_not_null(t, "expected.safetensors has no tensor %s", name);
    void *d = malloc((size_t)t->numel * elem);
    char err[VLM_ERR_MAX] = "";
    cr_assert_not_null(d);
    cr_assert_eq(convert(t, d, (size_t)t->numel, err), VLM_OK, "%s: %s", name,
                 err);
    if (numel) *numel = (size_t)t->numel;
    return d;
}

float *fixture_tensor_f32(const st_file *f, const char *name, size_t *numel)
{
    return read_tensor(f, name, sizeof(float), to_f32, numel);
}

int32_t *fixture_tensor_i32(const st_file *f, const char *name, size_t *numel)
{
    return read_tensor(f, name, sizeof(int32_t), to_i32, numel);
}
