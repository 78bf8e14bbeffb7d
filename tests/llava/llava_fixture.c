/* llava_fixture.c — see llava_fixture.h. */
#include "tests/llava/llava_fixture.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *llava_fixture_dir(void) {
    static char dir[4096];
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    if (root) snprintf(dir, sizeof dir, "%s/llava-tiny-llama", root);
    if (!root || stat(dir, &st) != 0)
        cr_skip_test("fixtures absent: set VLM_FIXTURES to a folder holding "
                     "llava-tiny-llama/ (see ../shared/fixtures/README.md)");
    return dir;
}

const char *llava_fixture_path(const char *name) {
    static char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", llava_fixture_dir(), name);
    return path;
}

static const st_tensor *find(const st_file *f, const char *name) {
    const st_tensor *t = st_file_find(f, name);
    cr_assert_not_null(t, "expected.safetensors has no tensor %s", name);
    return t;
}

float *llava_expected_f32(const st_file *f, const char *name, int64_t *n) {
    const st_tensor *t = find(f, name);
    float *v = malloc(sizeof(float) * (size_t)t->numel);
    char err[VLM_ERR_MAX];
    cr_assert_eq(st_tensor_to_f32(t, v, (size_t)t->numel, err), VLM_OK, "%s", err);
    if (n) *n = t->numel;
    return v;
}

int32_t *llava_expected_i32(const st_file *f, const char *name, int64_t *n) {
    const st_tensor *t = find(f, name);
    int32_t *v = malloc(sizeof(int32_t) * (size_t)t->numel);
    char err[VLM_ERR_MAX];
    cr_assert_eq(st_tensor_to_i32(t, v, (size_t)t->numel, err), VLM_OK, "%s", err);
    if (n) *n = t->numel;
    return v;
}

double llava_rel_diff(const float *a, const float *b, int64_t n) {
    double md = 0, mb = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > md || isnan(d)) md = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > mb) mb = fabs(b[i]);
    }
    return mb > 0 ? md / mb : md;
}
