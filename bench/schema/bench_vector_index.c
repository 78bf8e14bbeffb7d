/*
 * bench_vector_index — the collection store at 10k / 100k / 1M vectors.
 *
 *   bench_vector_index [options] DIR N     build DIR with N synthetic vectors
 *                                          (reused if already there), then
 *                                          measure both index kinds
 *   bench_vector_index --search-once DIR   open + one query + print, as a
 *                                          one-shot `vlmsearch` would
 * options: --dims D (512)  --queries Q (100)
 *          --rank R   low-rank model (R latent dims, decaying spectrum)
 *          --nlist L  force the IVF list count (default: automatic)
 *          --uniform  i.i.d. random unit vectors (no structure at all)
 *
 * Synthetic vectors: unit-normalised (center + sigma * noise), a few hundred
 * per center, so that neighbours exist as in real photo collections
 * (near-duplicates, same scene, same subject); --uniform gives i.i.d.
 * random unit vectors, the worst case for any partitioning index.
 * Prints one "key value" line per measurement.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "schema/collection.h"
#include "schema/vector_index.h"

static int dims = 512;
static bool uniform;
static int n_queries = 100;
static int nlist_opt; /* --nlist L: force the IVF list count */
static char err[VLM_ERR_MAX];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_vector_index: %s: %s\n", what, err);
    exit(2);
}

/* splitmix64 + Box-Muller */
static uint64_t rng_state = 12345;
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static float gauss(void)
{
    double u1 = ((next_u64() >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (next_u64() >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static void normalise(float *v)
{
    double ss = 0;
    for (int i = 0; i < dims; i++) ss += (double)v[i] * v[i];
    for (int i = 0; i < dims; i++) v[i] = (float)(v[i] / sqrt(ss));
}

static float *centers;
static int n_centers;
static int rank;     /* --rank R: low-rank model instead of clusters */
static float *basis; /* rank x dims, random unit rows */

/* Low-rank model: real CLIP embeddings have a small intrinsic dimension
 * and a decaying spectrum; v = sum_i z_i b_i / sqrt(i+1) + small noise. */
static void synth_low_rank(float *v)
{
    for (int j = 0; j < dims; j++)
        v[j] = 0.3f / sqrtf((float)dims) * gauss(); /* 0.3 isotropic noise */
    for (int i = 0; i < rank; i++) {
        float z = gauss() / sqrtf((float)i + 1) * 1.5f;
        const float *b = basis + (size_t)i * dims;
        for (int j = 0; j < dims; j++) v[j] += z * b[j];
    }
    normalise(v);
}

/* One synthetic vector: around a random center (cos ~ 0.7), low-rank, or
 * uniform. */
static void synth(float *v)
{
    if (rank > 0) {
        synth_low_rank(v);
        return;
    }
    const float *c = uniform ? NULL : centers + (next_u64() % n_centers) * dims;
    float sigma = 1.0f / sqrtf((float)dims);
    for (int i = 0; i < dims; i++)
        v[i] = (c ? c[i] : 0) + (c ? sigma : 1) * gauss();
    normalise(v);
}

static void make_centers(int64_t n)
{
    if (rank > 0) {
        basis = malloc((size_t)rank * dims * sizeof *basis);
        for (int i = 0; i < rank; i++) {
            for (int j = 0; j < dims; j++)
                basis[(size_t)i * dims + j] = gauss();
            normalise(basis + (size_t)i * dims);
        }
    }
    n_centers = (int)(n / 200 > 10 ? n / 200 : 10);
    centers = malloc((size_t)n_centers * dims * sizeof *centers);
    for (int i = 0; i < n_centers; i++) {
        for (int j = 0; j < dims; j++) centers[(size_t)i * dims + j] = gauss();
        normalise(centers + (size_t)i * dims);
    }
}

static long long file_size(const char *dir, const char *name)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

static collection *open_coll(const char *dir, bool create)
{
    collection *c = NULL;
    collection_options o = {.create_if_missing = create};
    if (collection_open(dir, &o, &c, err) != VLM_OK) die("open collection");
    return c;
}

static void fill(collection *c, int64_t n)
{
    if (collection_bind_model(c, "synthetic", dims, "bench", err) != VLM_OK)
        die("bind model");
    collection_counts k;
    collection_get_counts(c, &k, err);
    if (k.embeddings >= n) return;
    float *v = malloc((size_t)dims * sizeof *v);
    char path[64];
    double t0 = now_s();
    for (int64_t i = k.embeddings; i < n; i++) {
        if (i % 10000 == k.embeddings % 10000 && collection_begin(c, err))
            die("begin");
        synth(v);
        snprintf(path, sizeof path, "/bench/%08lld.jpg", (long long)i);
        collection_image_info info = {
            .path = path, .root = "/bench", .size = i, .mtime_ns = i};
        if (collection_put_image(c, &info, v, dims, NULL, err)) die("put");
        if ((i + 1) % 10000 == k.embeddings % 10000 || i + 1 == n)
            if (collection_commit(c, err)) die("commit");
    }
    double dt = now_s() - t0;
    printf("sqlite_insert_s %.2f\nsqlite_insert_rows_per_s %.0f\n", dt,
           (n - k.embeddings) / dt);
    free(v);
}

/* Opens the index with options; reports open time and what happened. */
static vector_index *open_vi(collection *c, const char *label,
                             int64_t threshold, int nprobe, bool save)
{
    vector_index_options o = {.approx_threshold = threshold,
                              .nprobe = nprobe,
                              .nlist = nlist_opt,
                              .save_after_rebuild = save};
    vector_index *vi = NULL;
    double t0 = now_s();
    if (vector_index_open(c, &o, &vi, err) != VLM_OK) die("open index");
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("%s_open_s %.3f  (kind %s, rebuilt %d, loaded %d, nlist %d, "
           "nprobe %d)\n",
           label, now_s() - t0, in.kind ? "ivf" : "exact", in.rebuilt,
           in.loaded_from_file, in.nlist, in.nprobe);
    return vi;
}

/* Mean ms per single-vector query; fills ids[q*10..] if ids != NULL. */
static double time_queries(vector_index *vi, const float *q, int64_t *ids)
{
    vector_hit hits[10];
    int n;
    double t0 = now_s();
    for (int i = 0; i < n_queries; i++) {
        if (vector_index_search(vi, q + (size_t)i * dims, 10, NULL, 0, hits, &n,
                                err))
            die("search");
        for (int j = 0; ids && j < 10; j++)
            ids[i * 10 + j] = j < n ? hits[j].id : -1;
    }
    return (now_s() - t0) * 1000 / n_queries;
}

static double recall(const int64_t *truth, const int64_t *got)
{
    int hit = 0;
    for (int i = 0; i < n_queries; i++)
        for (int j = 0; j < 10; j++)
            for (int l = 0; l < 10; l++)
                if (got[i * 10 + j] == truth[i * 10 + l]) {
                    hit++;
                    break;
                }
    return hit / (10.0 * n_queries);
}

static void run(const char *dir, int64_t n)
{
    make_centers(n);
    collection *c = open_coll(dir, true);
    fill(c, n);
    float *q = malloc((size_t)n_queries * dims * sizeof *q);
    for (int i = 0; i < n_queries; i++) synth(q + (size_t)i * dims);
    int64_t *truth = malloc((size_t)n_queries * 10 * sizeof *truth);
    int64_t *got = malloc((size_t)n_queries * 10 * sizeof *got);

    /* exact: build from SQLite, query, save size */
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, VECTOR_INDEX_FILE_NAME);
    remove(path); /* time a build from SQLite, not a reload */
    vector_index *vi = open_vi(c, "exact_build", -1, 0, true);
    printf("exact_query_ms %.2f\n", time_queries(vi, q, truth));
    printf("exact_file_bytes %lld\n", file_size(dir, VECTOR_INDEX_FILE_NAME));
    vector_index_close(vi);
    vi = open_vi(c, "exact_load", -1, 0, false);
    vector_index_close(vi);

    /* IVF: build (train + add), save, then per nprobe from the file */
    vi = open_vi(c, "ivf_build", 1, 0, true);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("ivf_default_query_ms %.2f\n", time_queries(vi, q, got));
    printf("ivf_default_recall10 %.4f\n", recall(truth, got));
    printf("ivf_file_bytes %lld\n", file_size(dir, VECTOR_INDEX_FILE_NAME));
    vector_index_close(vi);
    /* powers of two, plus 1.5x steps between them past 16 probes */
    for (int p = in.nlist >= 64 ? in.nlist / 64 : 1; p <= in.nlist / 2;
         p = (p >= 16 && (p & (p - 1)) == 0) ? p * 3 / 2
             : (p & (p - 1))                 ? p * 4 / 3
                                             : p * 2) {
        char label[32];
        snprintf(label, sizeof label, "ivf_load_nprobe%d", p);
        vi = open_vi(c, label, 1, p, false);
        double ms = time_queries(vi, q, got);
        printf("ivf_nprobe%d_query_ms %.2f recall10 %.4f\n", p, ms,
               recall(truth, got));
        vector_index_close(vi);
    }
    /* leave the default kind on disk for --search-once */
    vector_index_close(open_vi(c, "default", 0, 0, true));
    printf("db_bytes %lld\n", file_size(dir, COLLECTION_DB_NAME));
    free(q), free(truth), free(got), free(centers);
    collection_close(c);
}

/* What a one-shot search costs after process start. */
static void search_once(const char *dir)
{
    double t0 = now_s();
    collection *c = open_coll(dir, false);
    double t1 = now_s();
    vector_index *vi = NULL;
    if (vector_index_open(c, NULL, &vi, err) != VLM_OK) die("open index");
    double t2 = now_s();
    float *q = malloc((size_t)dims * sizeof *q);
    make_centers(10);
    synth(q);
    vector_hit hits[10];
    int n;
    if (vector_index_search(vi, q, 10, NULL, 0, hits, &n, err)) die("search");
    double t3 = now_s();
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("search_once_ms %.1f = collection %.1f + index open %.1f + "
           "query %.1f (kind %s, ntotal %lld, top %lld %.3f)\n",
           (t3 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000,
           (t3 - t2) * 1000, in.kind ? "ivf" : "exact", (long long)in.ntotal,
           (long long)hits[0].id, hits[0].score);
    vector_index_close(vi);
    collection_close(c);
    free(q), free(centers);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible when redirected */
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (!strcmp(argv[i], "--dims") && i + 1 < argc)
            dims = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            n_queries = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nlist") && i + 1 < argc)
            nlist_opt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rank") && i + 1 < argc)
            rank = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--uniform"))
            uniform = true;
        else if (!strcmp(argv[i], "--search-once") && i + 1 < argc) {
            search_once(argv[i + 1]);
            return 0;
        } else
            break;
    }
    if (argc - i != 2) {
        fprintf(
            stderr,
            "usage: %s [--dims D] [--rank R|--uniform] [--queries Q] DIR N\n"
            "       %s --search-once DIR\n",
            argv[0], argv[0]);
        return 2;
    }
    run(argv[i], atoll(argv[i + 1]));
    return 0;
}
