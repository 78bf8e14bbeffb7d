/* llava_fixture.c — see llava_fixture.h. */
#include "tests/llava/llava_fixture.h"

#include "tests/common/fixture_tensor.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *llava_fixture_dir(void)
{
    static char dir[4096];
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    if (root) snprintf(dir, sizeof dir, "%s/llava-tiny-llama", root);
    if (!root || stat(dir, &st) != 0)
        cr_skip_test("fixtures absent: set VLM_FIXTURES to a folder holding "
                     "llava-tiny-llama/ (see ../shared/fixtures/README.md)");
    return dir;
}

const char *llava_fixture_path(const char *name)
{
    static char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", llava_fixture_dir(), name);
    return path;
}

float *llava_expected_f32(const st_file *f, const char *name, int64_t *n)
{
    size_t k;
    float *v = fixture_tensor_f32(f, name, &k);
    if (n) *n = (int64_t)k;
    return v;
}

int32_t *llava_expected_i32(const st_file *f, const char *name, int64_t *n)
{
    size_t k;
    int32_t *v = fixture_tensor_i32(f, name, &k);
    if (n) *n = (int64_t)k;
    return v;
}

double llava_rel_diff(const float *a, const float *b, int64_t n)
{
    double md = 0, mb = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > md || isnan(d)) md = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > mb) mb = fabs(b[i]);
    }
    return mb > 0 ? md / mb : md;
}
