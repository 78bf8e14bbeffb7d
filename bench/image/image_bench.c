/*
 * image_bench.c — decode + preprocess time for one image (by default the
 * 4000x3000 JPEG fixture), exact full-resolution decode vs the DCT-scaled
 * fast path, median of N runs.
 *
 *   image_bench [IMAGE] [RUNS]
 *
 * IMAGE defaults to $VLM_FIXTURES/images/edge/large-4000x3000.jpg (or the
 * fixtures folder configured at build time); RUNS defaults to 15.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/image/image.h"

#define S 224

/* Wall time is what a user waits; CPU time stays meaningful on a loaded
 * machine (the shared build box often runs several jobs per core). */
static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

typedef struct timing {
    double wall, cpu;
} timing;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One decode + CLIP preprocessing; wall < 0 on failure. */
static timing run_once(const char *path, int min_short, float *out, int *denom)
{
    static const img_prep_params p = {S,
                                      S,
                                      S,
                                      1,
                                      {0.48145466f, 0.4578275f, 0.40821073f},
                                      {0.26862954f, 0.26130258f, 0.27577711f},
                                      1.0f / 255, 0};
    char err[VLM_ERR_MAX];
    img_decode_opts o = {0, min_short};
    img_rgb im;
    img_info info;
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    int rc = img_decode_file(path, &o, &im, &info, err);
    if (!rc) rc = img_preprocess(&im, &p, out, err);
    timing t = {now_ms(CLOCK_MONOTONIC) - w0,
                now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0};
    img_rgb_free(&im);
    if (rc) {
        fprintf(stderr, "image_bench: %s\n", err);
        t.wall = -1;
        return t;
    }
    *denom = info.decoded_scale_denom;
    return t;
}

static int bench(const char *label, const char *path, int min_short, int runs)
{
    float *out = malloc(sizeof(float) * 3 * S * S);
    double *wall = malloc(sizeof(double) * runs),
           *cpu = malloc(sizeof(double) * runs);
    int denom = 1, rc = 0;
    if (!out || !wall || !cpu) return 1;
    run_once(path, min_short, out, &denom); /* warm the page cache */
    for (int i = 0; i < runs && !rc; i++) {
        timing t = run_once(path, min_short, out, &denom);
        wall[i] = t.wall;
        cpu[i] = t.cpu;
        rc = t.wall < 0;
    }
    if (!rc) {
        qsort(wall, runs, sizeof *wall, cmp_double);
        qsort(cpu, runs, sizeof *cpu, cmp_double);
        printf("%-27s DCT 1/%d  median wall %7.2f ms (min %7.2f)  median cpu "
               "%7.2f ms  [%d runs]\n",
               label, denom, wall[runs / 2], wall[0], cpu[runs / 2], runs);
    }
    free(out);
    free(wall);
    free(cpu);
    return rc;
}

int main(int argc, char **argv)
{
    char def[4096];
    const char *root = getenv("VLM_FIXTURES");
    snprintf(def, sizeof def, "%s/images/edge/large-4000x3000.jpg",
             root ? root : VLM_BENCH_FIXTURES);
    const char *path = argc > 1 && argv[1][0] ? argv[1] : def;
    int runs = argc > 2 ? atoi(argv[2]) : 15;
    if (runs < 1) runs = 1;
    printf("image_bench: %s, decode + preprocess to %dx%d\n", path, S, S);
    return bench("exact (full decode)", path, 0, runs) ||
           bench("fast (min_short_side 448)", path, 2 * S, runs) ||
           bench("fast (min_short_side 224)", path, S, runs);
}
