/*
 * bench_decode_isolation.c — the indexer's decode path (read, hash,
 * media_decode, CLIP preprocessing at 224 through the decode pool) with
 * the decoders in worker processes vs in the calling process, measured in
 * the same run, rounds alternating which mode goes first.
 *
 *   bench_decode_isolation FIXTURES [ROUNDS [THREADS [DIR...]]]
 *
 * Sets: "12mp-jpeg" (24 distinct copies of the 4000x3000 JPEG fixture, a
 * camera library), "fixture-mix" (images/photos + images/edge: every
 * format, small files, where per-file overhead shows most), and each DIR
 * given (e.g. a folder of DICOM files).  Isolated runs start their workers
 * inside the timed region, as a `vlmindex add` does.  Prints one JSON
 * object per set: median images/s of each mode, and CPU seconds per image
 * of each mode (parent + workers), which a loaded machine disturbs less.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/bench_util.h"
#include "indexer/decode_pool.h"
#include "media/media_isolation.h"

#define MAX_FILES 512

typedef struct set {
    const char *name;
    int n;
    char *paths[MAX_FILES];
} set;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_decode_isolation: %s: %s\n", what, why);
    exit(1);
}

static void add_dir(set *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) die("cannot open", dir);
    struct dirent *e;
    while ((e = readdir(d)) && s->n < MAX_FILES) {
        if (e->d_name[0] == '.' || e->d_type == DT_DIR) continue;
        char *p = malloc(strlen(dir) + strlen(e->d_name) + 2);
        sprintf(p, "%s/%s", dir, e->d_name);
        s->paths[s->n++] = p;
    }
    closedir(d);
}

/* 24 copies of the 12 MP JPEG, each with a different trailer. */
static void make_jpegs(set *s, const char *fixtures, char *tmp)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 1 24); do { cat '%s/images/edge/"
             "large-4000x3000.jpg'; echo \"copy $i\"; } > '%s'/large-$i.jpg; "
             "done",
             fixtures, tmp);
    if (system(cmd)) die("shell", cmd);
    add_dir(s, tmp);
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void configure(int in_process)
{
    media_isolation_opts o = {.in_process = in_process};
    char err[VLM_ERR_MAX];
    if (media_isolation_configure(&o, err)) die("configure", err);
}

/* One pass over the set; returns wall seconds, adds CPU seconds. */
static double run_pool(const set *s, int threads, int in_process, double *cpu)
{
    static const img_prep_params prep = {
        .shortest_edge = 224,
        .crop_w = 224,
        .crop_h = 224,
        .do_center_crop = 1,
        .mean = {0.48145466f, 0.4578275f, 0.40821073f},
        .std = {0.26862954f, 0.26130258f, 0.27577711f},
        .rescale = 1.0f / 255};
    configure(in_process); /* stops (and reaps) the previous workers */
    double c0 = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN), t0 = bench_now_s();
    decode_pool_options po = {.threads = threads, .prep = prep};
    decode_pool *p;
    char err[VLM_ERR_MAX];
    if (decode_pool_create(&po, &p, err)) die("pool", err);
    for (int i = 0; i < s->n; i++)
        if (decode_pool_submit(p, i, s->paths[i], 0, 0)) die("submit", "");
    decode_pool_finish(p);
    decode_result *r;
    while ((r = decode_pool_next(p))) decode_result_free(r);
    decode_pool_destroy(p);
    double wall = bench_now_s() - t0;
    configure(in_process); /* reaps the workers: their CPU time counts */
    *cpu += cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN) - c0;
    return wall;
}

static void bench_set(const set *s, int rounds, int threads)
{
    double *rate[2], cpu[2] = {0, 0};
    rate[0] = calloc((size_t)rounds, sizeof(double));
    rate[1] = calloc((size_t)rounds, sizeof(double));
    run_pool(s, threads, 1, &cpu[0]); /* page cache warm-up */
    cpu[0] = 0;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            int mode = (r + k) % 2; /* 0 = isolated, 1 = in process */
            rate[mode][r] = s->n / run_pool(s, threads, mode, &cpu[mode]);
        }
    double iso = bench_median(rate[0], rounds),
           inp = bench_median(rate[1], rounds);
    printf("{\"bench\":\"decode_isolation\",\"set\":\"%s\",\"files\":%d,"
           "\"threads\":%d,\"rounds\":%d,"
           "\"in_process_images_per_s\":%.2f,\"isolated_images_per_s\":%.2f,"
           "\"ratio\":%.3f,\"in_process_cpu_ms_per_image\":%.2f,"
           "\"isolated_cpu_ms_per_image\":%.2f,\"cpu_ratio\":%.3f}\n",
           s->name, s->n, threads, rounds, inp, iso, iso / inp,
           1e3 * cpu[1] / (rounds * s->n), 1e3 * cpu[0] / (rounds * s->n),
           cpu[0] / cpu[1]);
    fflush(stdout);
    free(rate[0]);
    free(rate[1]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: bench_decode_isolation FIXTURES [ROUNDS [THREADS "
              "[DIR...]]]\n",
              stderr);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    char tmp[] = "/tmp/vlm-bench-isolation-XXXXXX", dir[1024];
    if (!mkdtemp(tmp)) die("mkdtemp", tmp);
    set jpegs = {.name = "12mp-jpeg"}, mix = {.name = "fixture-mix"};
    make_jpegs(&jpegs, argv[1], tmp);
    snprintf(dir, sizeof dir, "%s/images/photos", argv[1]);
    add_dir(&mix, dir);
    snprintf(dir, sizeof dir, "%s/images/edge", argv[1]);
    add_dir(&mix, dir);
    bench_set(&jpegs, rounds, threads);
    bench_set(&mix, rounds, threads);
    for (int i = 4; i < argc; i++) {
        set extra = {.name = argv[i]};
        add_dir(&extra, argv[i]);
        bench_set(&extra, rounds, threads);
    }
    snprintf(dir, sizeof dir, "rm -rf '%s'", tmp);
    return system(dir) != 0;
}
