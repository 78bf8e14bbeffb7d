/*
 * image_fixture.c — see image_fixture.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <criterion/criterion.h>

#include "tests/image/image_fixture.h"

void fixture_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    if (!root) cr_skip_test("VLM_FIXTURES is not set; fixtures absent");
    snprintf(buf, cap, "%s/%s", root, rel);
    if (stat(buf, &st) != 0) cr_skip_test("fixture %s is absent", buf);
}

void image_fixture_dir(const char *sub, char *buf, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "images/%s", sub);
    fixture_path(rel, buf, cap);
}

int image_fixture_find(const char *name, char *buf, size_t cap)
{
    static const char *subs[] = {"photos", "edge"};
    const char *root = getenv("VLM_FIXTURES");
    struct stat st;
    for (int i = 0; root && i < 2; i++) {
        snprintf(buf, cap, "%s/images/%s/%s", root, subs[i], name);
        if (stat(buf, &st) == 0) return 1;
    }
    return 0;
}

void decode_224(const char *path, int min_short_side, uint8_t *out)
{
    img_decode_opts opts = {0, min_short_side};
    img_rgb im;
    char err[VLM_ERR_MAX] = "";
    int rc = img_decode_file(path, &opts, &im, NULL, err);
    cr_assert_eq(rc, VLM_OK, "decode %s: %s", path, err);
    img_prep_params p = {IMG_S,     IMG_S,     IMG_S,     1,
                         {0, 0, 0}, {1, 1, 1}, 1.0f / 255, 0};
    rc = img_resize_crop_u8(&im, &p, out, err);
    img_rgb_free(&im);
    cr_assert_eq(rc, VLM_OK, "preprocess %s: %s", path, err);
}

diff_stats u8_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    diff_stats s = {0, 0, 0};
    size_t over = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > s.max_abs) s.max_abs = d;
        if (d > 2) over++;
        sum += d;
    }
    s.over2 = n ? (double)over / n : 0;
    s.mean_abs = n ? sum / n : 0;
    return s;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
