/*
 * clip_fixture.c — fixture helpers shared by the CLIP tests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "tests/clip/clip_fixture.h"

#include "tests/common/fixture_tensor.h"

void fixture_dir(const char *name, char *buf, size_t cap)
{
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    if (!root) cr_skip_test("VLM_FIXTURES is not set");
    snprintf(buf, cap, "%s/%s", root, name);
    if (stat(buf, &st) != 0) cr_skip_test("fixture folder %s is absent", buf);
}

st_file *fixture_expected(const char *dir)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    st_file *f = NULL;
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    cr_assert_eq(st_file_open(path, &f, err), VLM_OK, "%s", err);
    return f;
}

float *fixture_floats(const st_file *f, const char *name, size_t *numel)
{
    return fixture_tensor_f32(f, name, numel);
}

int32_t *fixture_ints(const st_file *f, const char *name, size_t *numel)
{
    return fixture_tensor_i32(f, name, numel);
}

double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN propagates as "worse" */
    }
    return m;
}

double min_row_cosine(const float *a, const float *b, int rows, int dim)
{
    double worst = 1;
    for (int r = 0; r < rows; r++) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < dim; i++) {
            double x = a[(size_t)r * dim + i], y = b[(size_t)r * dim + i];
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        double c = ab / sqrt(aa * bb);
        if (!(c >= worst)) worst = c;
    }
    return worst;
}

void expect_close(const char *fx, const char *what, const float *got,
                  const float *want, size_t n, double tol)
{
    double d = max_abs_diff(got, want, n);
    fprintf(stderr, "%s %-28s max abs diff %.3g (tolerance %g)\n", fx, what, d,
            tol);
    cr_expect(d <= tol, "%s %s: max abs diff %g > %g", fx, what, d, tol);
}

double within_two_levels(const float *got, const uint8_t *want, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) ok += fabs(got[i] - want[i]) <= 2.0;
    return n ? (double)ok / (double)n : 1.0;
}
