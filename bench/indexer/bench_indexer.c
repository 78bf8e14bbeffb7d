/*
 * bench_indexer.c — end-to-end speed of the product paths, on random
 * weights in the real ViT-B/32 layout.
 *
 *   bench_indexer throughput FIXTURES N THREADS
 *       indexing rate of `vlmindex add` over N distinct 4000x3000 JPEGs
 *       vs the bare vision-tower rate measured in the same run
 *   bench_indexer isolation FIXTURES N THREADS ROUNDS
 *       `vlmindex add` over the same N JPEGs with the decoders in worker
 *       processes vs in-process (media_isolation.h), rounds alternating
 *       which goes first; median rates and their ratio
 *   bench_indexer search FIXTURES VLMSEARCH SIZE[,SIZE..] RUNS
 *       wall time of a whole `vlmsearch` process (start included) over a
 *       collection of SIZE synthetic vectors, median of RUNS
 *   bench_indexer collection FIXTURES DIR SIZE
 *       leaves DIR/vit-b32 (the model) and DIR/coll-SIZE (SIZE synthetic
 *       vectors, index saved) for other benchmarks (bench/server); kept
 *       when they exist already
 *
 * Prints one JSON object per measurement.  Scratch data goes to
 * $TMPDIR/vlm-bench-indexer-*.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/clip/bench_ckpt.h"
#include "indexer/indexer.h"
#include "media/media_isolation.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_indexer: %s: %s\n", what, err);
    exit(1);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) die("shell", cmd);
}

/* A ViT-B/32 checkpoint with random weights + the fixture tokenizer. */
static void make_model(const char *root, const char *fixtures, char *dir,
                       size_t n)
{
    snprintf(dir, n, "%s/vit-b32", root);
    if (access(dir, F_OK) == 0) return;
    if (bench_ckpt_write(bench_arch_find("b32"), dir, 1234))
        die("checkpoint", dir);
    sh("ln -s '%s/tokenizer-clip/vocab.json' '%s/tokenizer-clip/merges.txt' "
       "'%s/'",
       fixtures, fixtures, dir);
}

/* Precision from $BENCH_PREC (f32 | f32p | bf16); f32p is what
 * `vlmindex add` uses by default. */
static vlm_precision bench_prec(void)
{
    const char *p = getenv("BENCH_PREC");
    if (p && !strcmp(p, "bf16")) return VLM_PREC_BF16;
    if (p && !strcmp(p, "f32")) return VLM_PREC_F32;
    return VLM_PREC_F32_PACKED;
}

static clip_model *load(const char *dir, int parts, int threads)
{
    clip_options o = clip_options_default();
    o.parts = parts;
    o.threads = threads;
    o.precision = parts == CLIP_PART_TEXT ? VLM_PREC_F32 : bench_prec();
    clip_model *m;
    char err[VLM_ERR_MAX];
    if (clip_model_load(dir, &o, &m, err)) die("load", err);
    return m;
}

/* Bare encoder: batches of 16 preprocessed images through the tower. */
static double bare_rate(clip_model *m, int n)
{
    int S = clip_image_size(m), E = clip_embed_dim(m), B = 16;
    float *px = malloc((size_t)B * 3 * S * S * sizeof(float));
    float *emb = malloc((size_t)B * E * sizeof(float));
    char err[VLM_ERR_MAX];
    for (size_t i = 0; i < (size_t)B * 3 * S * S; i++)
        px[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    clip_encode_images(m, px, B, emb, NULL, NULL, NULL, err); /* warm-up */
    double t0 = bench_now_s();
    int done = 0;
    for (; done < n; done += B)
        if (clip_encode_images(m, px, B, emb, NULL, NULL, NULL, err))
            die("encode", err);
    double rate = done / (bench_now_s() - t0);
    free(px);
    free(emb);
    return rate;
}

/* N distinct copies of the 4000x3000 JPEG fixture in DIR. */
static void make_photos(const char *fixtures, const char *dir, int n)
{
    sh("mkdir -p '%s' && for i in $(seq 1 %d); do { cat "
       "'%s/images/edge/large-4000x3000.jpg'; "
       "echo \"copy $i\"; } > \"%s/large-$i.jpg\"; done",
       dir, n, fixtures, dir);
}

/* Images/s of one `add` of `photos` into a fresh collection at `coll`. */
static double add_rate(clip_model *m, const char *photos, const char *coll)
{
    collection *c;
    vector_index *vi;
    char err[VLM_ERR_MAX];
    sh("rm -rf '%s'", coll);
    collection_options co = {.create_if_missing = true};
    if (collection_open(coll, &co, &c, err) ||
        collection_bind_model(c, clip_model_name(m), clip_embed_dim(m),
                              clip_model_id(m), err) ||
        vector_index_open(c, NULL, &vi, err))
        die("collection", err);
    indexer_options o = {.batch_size = 16};
    indexer_summary s;
    const char *paths[] = {photos};
    if (indexer_add(c, vi, m, paths, 1, &o, &s, err)) die("indexer_add", err);
    if (s.failed) die("indexer_add", "a photo failed");
    vector_index_close(vi);
    collection_close(c);
    return (double)s.added / s.seconds;
}

static double cpu_s(void)
{
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &b); /* reaped decode workers */
    return a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
           b.ru_stime.tv_sec +
           1e-6 * (a.ru_utime.tv_usec + a.ru_stime.tv_usec +
                   b.ru_utime.tv_usec + b.ru_stime.tv_usec);
}

/* One add with decoders isolated or not; the workers are stopped (and
 * reaped, so their CPU time counts) before the CPU clock is read. */
static double timed_add(clip_model *m, const char *photos, const char *coll,
                        int in_process, double *cpu)
{
    char err[VLM_ERR_MAX];
    media_isolation_opts io = {.in_process = in_process};
    if (media_isolation_configure(&io, err)) die("isolation", err);
    double c0 = cpu_s();
    double rate = add_rate(m, photos, coll);
    media_isolation_configure(&io, err);
    *cpu += cpu_s() - c0;
    return rate;
}

static void isolation(const char *fixtures, int n, int threads, int rounds)
{
    char root[] = "/tmp/vlm-bench-indexer-XXXXXX", model[512], photos[600],
         coll[600];
    if (!mkdtemp(root)) die("mkdtemp", root);
    make_model(root, fixtures, model, sizeof model);
    snprintf(photos, sizeof photos, "%s/photos", root);
    snprintf(coll, sizeof coll, "%s/coll", root);
    make_photos(fixtures, photos, n);
    clip_model *m = load(model, CLIP_PART_ALL, threads);
    double *rate[2] = {calloc((size_t)rounds, sizeof(double)),
                       calloc((size_t)rounds, sizeof(double))};
    double cpu[2] = {0, 0};
    timed_add(m, photos, coll, 1, &cpu[1]); /* warm-up: cache, packing */
    cpu[1] = 0;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            int in_process = (r + k) % 2;
            rate[in_process][r] =
                timed_add(m, photos, coll, in_process, &cpu[in_process]);
        }
    double iso = bench_median(rate[0], rounds),
           inp = bench_median(rate[1], rounds);
    printf("{\"bench\":\"indexing_isolation\",\"model\":\"ViT-B/32\","
           "\"images\":%d,\"threads\":%d,\"rounds\":%d,"
           "\"in_process_images_per_s\":%.2f,\"isolated_images_per_s\":%.2f,"
           "\"ratio\":%.3f,\"in_process_cpu_ms_per_image\":%.1f,"
           "\"isolated_cpu_ms_per_image\":%.1f,\"cpu_ratio\":%.3f}\n",
           n, threads, rounds, inp, iso, iso / inp, 1e3 * cpu[1] / (rounds * n),
           1e3 * cpu[0] / (rounds * n), cpu[0] / cpu[1]);
    free(rate[0]);
    free(rate[1]);
    clip_model_destroy(m);
    sh("rm -rf '%s'", root);
}

static void throughput(const char *fixtures, int n, int threads)
{
    char root[] = "/tmp/vlm-bench-indexer-XXXXXX", model[512], photos[600],
         coll[600];
    if (!mkdtemp(root)) die("mkdtemp", root);
    make_model(root, fixtures, model, sizeof model);
    snprintf(photos, sizeof photos, "%s/photos", root);
    snprintf(coll, sizeof coll, "%s/coll", root);
    make_photos(fixtures, photos, n);
    clip_model *m = load(model, CLIP_PART_ALL, threads);
    double bare = bare_rate(m, n);
    double rate = add_rate(m, photos, coll);
    const char *prec = getenv("BENCH_PREC");
    printf(
        "{\"bench\":\"indexing\",\"model\":\"ViT-B/32\",\"precision\":\"%s\","
        "\"images\":%d,\"threads\":%d,"
        "\"bare_encoder_images_per_s\":%.2f,\"indexing_images_per_s\":%.2f,"
        "\"ratio\":%.3f}\n",
        prec ? prec : "f32p", n, threads, bare, rate, rate / bare);
    clip_model_destroy(m);
    sh("rm -rf '%s'", root);
}

/* SIZE random unit vectors as rows of a fresh collection. */
static void fill_collection(const char *coll, clip_model *m, long size)
{
    collection *c;
    char err[VLM_ERR_MAX], path[64];
    collection_options co = {.create_if_missing = true};
    int E = clip_embed_dim(m);
    if (collection_open(coll, &co, &c, err) ||
        collection_bind_model(c, clip_model_name(m), E, clip_model_id(m), err))
        die("collection", err);
    float *v = malloc((size_t)E * sizeof *v);
    unsigned long long x = 88172645463325252ull;
    for (long i = 0; i < size; i++) {
        if (i % 20000 == 0 &&
            (i ? collection_commit(c, err) : 0) + collection_begin(c, err))
            die("txn", err);
        for (int j = 0; j < E; j++) { /* xorshift + Box-Muller-free approx. */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v[j] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
        }
        snprintf(path, sizeof path, "/synthetic/%07ld.jpg", i);
        collection_image_info ci = {.path = path,
                                    .root = "/synthetic",
                                    .size = 1,
                                    .content_hash = path,
                                    .format = "jpeg"};
        if (collection_put_image(c, &ci, v, E, NULL, err)) die("put", err);
    }
    if (collection_commit(c, err)) die("commit", err);
    vector_index *vi;
    vector_index_options vo = {.save_after_rebuild = true};
    if (vector_index_open(c, &vo, &vi, err) || vector_index_save(vi, err))
        die("index", err);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    fprintf(stderr, "collection of %ld: %s index, %lld vectors\n", size,
            info.kind == VECTOR_INDEX_IVF ? "IVF" : "flat",
            (long long)info.ntotal);
    vector_index_close(vi);
    collection_close(c);
    free(v);
}

static double run_once(const char *vlmsearch, const char *coll,
                       const char *model, const char *tok)
{
    double t0 = bench_now_s();
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execl(vlmsearch, vlmsearch, "--collection", coll, "--model", model,
              "--tokenizer", tok, "-n", "10", "a photo of a cat", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) die("vlmsearch", "failed");
    return bench_now_s() - t0;
}

static void search(const char *fixtures, const char *vlmsearch, char *sizes,
                   int runs)
{
    char root[] = "/tmp/vlm-bench-indexer-XXXXXX", model[512], coll[600],
         tok[600];
    if (!mkdtemp(root)) die("mkdtemp", root);
    make_model(root, fixtures, model, sizeof model);
    snprintf(tok, sizeof tok, "%s/tokenizer-clip", fixtures);
    clip_model *m = load(model, CLIP_PART_TEXT, 0);
    for (char *s = strtok(sizes, ","); s; s = strtok(NULL, ",")) {
        long size = atol(s);
        snprintf(coll, sizeof coll, "%s/coll-%ld", root, size);
        double t0 = bench_now_s();
        fill_collection(coll, m, size);
        double build = bench_now_s() - t0;
        double *t = malloc((size_t)runs * sizeof *t);
        run_once(vlmsearch, coll, model, tok); /* page cache warm-up */
        for (int i = 0; i < runs; i++)
            t[i] = run_once(vlmsearch, coll, model, tok);
        bench_median(t, runs);
        printf("{\"bench\":\"vlmsearch\",\"vectors\":%ld,\"runs\":%d,\"median_"
               "ms\":%.1f,"
               "\"min_ms\":%.1f,\"max_ms\":%.1f,\"fill_and_index_s\":%.1f}\n",
               size, runs, 1e3 * t[runs / 2], 1e3 * t[0], 1e3 * t[runs - 1],
               build);
        fflush(stdout);
        free(t);
        sh("rm -rf '%s'", coll);
    }
    clip_model_destroy(m);
    sh("rm -rf '%s'", root);
}

static void keep_collection(const char *fixtures, const char *dir, long size)
{
    char model[512], coll[600], part[620];
    sh("mkdir -p '%s'", dir);
    make_model(dir, fixtures, model, sizeof model);
    snprintf(coll, sizeof coll, "%s/coll-%ld", dir, size);
    if (access(coll, F_OK) == 0) return;
    snprintf(part, sizeof part, "%s.partial", coll); /* complete, or absent */
    sh("rm -rf '%s'", part);
    clip_model *m = load(model, CLIP_PART_TEXT, 0);
    fill_collection(part, m, size);
    clip_model_destroy(m);
    if (rename(part, coll)) die("rename", coll);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "collection")) {
        keep_collection(argv[2], argv[3], atol(argv[4]));
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "throughput")) {
        throughput(argv[2], atoi(argv[3]), atoi(argv[4]));
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "isolation")) {
        isolation(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "search")) {
        search(argv[2], argv[3], argv[4], atoi(argv[5]));
        return 0;
    }
    fputs("usage: bench_indexer throughput FIXTURES N THREADS\n"
          "       bench_indexer isolation FIXTURES N THREADS ROUNDS\n"
          "       bench_indexer search FIXTURES VLMSEARCH SIZE[,SIZE..] RUNS\n"
          "       bench_indexer collection FIXTURES DIR SIZE\n",
          stderr);
    return 2;
}
