/*
 * bench_vector_index — the vector index at 10k .. 10M vectors.
 *
 *   bench_vector_index [options] DIR N     fill DIR with N synthetic vectors
 *                                          (kept if already there), then
 *                                          measure the index kinds
 *   bench_vector_index --search-once DIR   open + one query, as a one-shot
 *                                          `vlmsearch` would (no model)
 * options:
 *   --dims D (512)  --queries Q (100)  --rank R | --uniform  --nlist L
 *   --kinds K,K..   kinds to build and measure (exact, flat, sq8, ivfpq;
 *                   default: exact below 50k vectors, else sq8,ivfpq)
 *   --keep K        kind left on disk for the whole-process runs (auto)
 *   --sweep         recall/latency for a range of probes, per kind
 *   --refines R,R.. recall/latency for these re-scoring depths, per kind
 *   --nprobes P,P.. recall/latency for these probe counts (each with every
 *                   --refines depth, or the kind's default), per kind
 *   --reuse         measure the index already on disk when its kind is the
 *                   one asked for, instead of timing a build (10M: an hour)
 *   --slice K/M     fill only vectors i with i % M == K (of the same stream
 *                   of N), then stop: M such collections are the shards
 *                   `vlmindex merge` joins into the N-vector one
 *   --model DIR     bind the collection to this CLIP checkpoint (its
 *                   embedding size must be D) and time whole `vlmsearch`
 *                   processes on it
 *   --reps R        whole-process runs (11)
 *
 * For each kind: build time from SQLite, file bytes, in-process single-
 * query latency (p50, mean) with the vectorised scan and with FAISS's own
 * (VLMINDEX_SCAN=faiss, the baseline, same process), recall@10 against
 * exact search (brute force over SQLite with BLAS), and the calibration
 * the build stored.  Exact search over float16-rounded embeddings gives
 * the recall cost of storing float16 in SQLite.  Prints "key value" lines.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/schema/bench_synth.h"
#include "model/clip/clip.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

#define K 10

static struct {
    int dims, n_queries, rank, nlist, reps, slice_k, slice_m;
    bool uniform, sweep, reuse;
    const char *kinds, *keep, *model, *refines, *nprobes;
} opt = {.dims = 512, .n_queries = 100, .reps = 11, .keep = "auto"};

static char err[VLM_ERR_MAX];

static void die(const char *what)
{
    fprintf(stderr, "bench_vector_index: %s: %s\n", what, err);
    exit(2);
}

static long long file_size(const char *dir, const char *name)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* ------------------------------------------------------------------ */
/* Filling the collection                                              */
/* ------------------------------------------------------------------ */

/* The model binding: a real checkpoint's (for vlmsearch runs) or a
 * synthetic one. */
static void bind(collection *c)
{
    if (!opt.model) {
        if (collection_bind_model(c, "synthetic", opt.dims, "bench", err))
            die("bind model");
        return;
    }
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m = NULL;
    if (clip_model_load(opt.model, &o, &m, err)) die("load --model");
    if (clip_embed_dim(m) != opt.dims) {
        snprintf(err, sizeof err, "%s embeds in %d dims, not %d", opt.model,
                 clip_embed_dim(m), opt.dims);
        die("--model");
    }
    if (collection_bind_model(c, clip_model_name(m), opt.dims, clip_model_id(m),
                              err))
        die("bind model");
    clip_model_destroy(m);
}

/* The data model a collection was filled with, kept in its meta: queries
 * drawn from another model than the data measure nothing (a low-rank
 * collection queried with clustered vectors gave recall 0.45 for an index
 * whose real recall is far higher). */
#define DATA_META_KEY "bench_synth"

static void check_data_model(collection *c, bool empty)
{
    char want[64], have[64];
    snprintf(want, sizeof want, "dims=%d rank=%d uniform=%d", opt.dims,
             opt.rank, (int)opt.uniform);
    int rc = collection_meta_get(c, DATA_META_KEY, have, sizeof have, err);
    if (rc == VLM_ENOTFOUND && empty) {
        if (collection_meta_set(c, DATA_META_KEY, want, err)) die("meta");
        return;
    }
    if (rc == VLM_ENOTFOUND) {
        fprintf(stderr,
                "bench_vector_index: the collection does not say "
                "which data model filled it; assuming %s\n",
                want);
        return;
    }
    if (rc) die("meta");
    if (strcmp(have, want)) {
        snprintf(err, sizeof err,
                 "the collection holds %s but the options ask for %s: give "
                 "the options it was filled with",
                 have, want);
        die("data model");
    }
}

/* Vector i of the stream (all are drawn, so that every slice sees the same
 * stream) is stored when it belongs to the slice. */
static bool in_slice(int64_t i)
{
    return opt.slice_m <= 1 || i % opt.slice_m == opt.slice_k;
}

static int64_t slice_rows(int64_t n)
{
    int64_t rows = 0;
    for (int64_t i = 0; i < n; i++) rows += in_slice(i);
    return rows;
}

static void fill(collection *c, bench_synth *s, int64_t n)
{
    bind(c);
    collection_counts k;
    if (collection_get_counts(c, &k, err)) die("counts");
    check_data_model(c, k.embeddings == 0);
    int64_t want = slice_rows(n), start = k.embeddings;
    if (k.embeddings >= want) return;
    if (opt.slice_m > 1 && start > 0) {
        snprintf(err, sizeof err,
                 "holds %lld of the %lld rows of its slice: "
                 "start from an empty folder",
                 (long long)start, (long long)want);
        die("--slice");
    }
    float *v = malloc((size_t)opt.dims * sizeof *v);
    char path[64];
    double t0 = bench_now_s();
    int64_t put = 0;
    for (int64_t i = 0; i < n; i++) {
        bench_synth_vector(s, v);
        if (i < start || !in_slice(i)) continue;
        if (put % 10000 == 0 && collection_begin(c, err)) die("begin");
        snprintf(path, sizeof path, "/bench/%09lld.jpg", (long long)i);
        collection_image_info info = {
            .path = path, .root = "/bench", .size = i, .mtime_ns = i};
        if (collection_put_image(c, &info, v, opt.dims, NULL, err)) die("put");
        if (++put % 10000 == 0 && collection_commit(c, err)) die("commit");
    }
    if (put % 10000 && collection_commit(c, err)) die("commit");
    double dt = bench_now_s() - t0;
    printf("sqlite_insert_s %.1f\nsqlite_insert_rows_per_s %.0f\n", dt,
           put / dt);
    free(v);
}

/* ------------------------------------------------------------------ */
/* Exact truth: brute force over SQLite, float32 and float16-rounded    */
/* ------------------------------------------------------------------ */

typedef struct {
    const float *q;
    int nq;
    int64_t *ids32, *ids16; /* nq x K, best first */
    float *s32, *s16, *scores, *half;
    size_t cap;
} truth_acc;

static float round_half(float x)
{
    _Float16 h = (_Float16)x;
    return (float)h;
}

static void push_top(float *s, int64_t *ids, float v, int64_t id)
{
    if (v <= s[K - 1]) return;
    int j = K - 1;
    for (; j > 0 && s[j - 1] < v; j--) s[j] = s[j - 1], ids[j] = ids[j - 1];
    s[j] = v, ids[j] = id;
}

static void score_into(truth_acc *t, const float *vecs, size_t n, float *s,
                       int64_t *ids, const int64_t *row_ids)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, t->nq,
                opt.dims, 1, vecs, opt.dims, t->q, opt.dims, 0, t->scores,
                t->nq);
    for (size_t i = 0; i < n; i++)
        for (int q = 0; q < t->nq; q++)
            push_top(s + q * K, ids + q * K, t->scores[i * t->nq + q],
                     row_ids[i]);
}

static int truth_chunk(void *ud, const int64_t *ids, const float *vecs,
                       size_t n)
{
    truth_acc *t = ud;
    if (n > t->cap) {
        t->scores = realloc(t->scores, n * t->nq * sizeof(float));
        t->half = realloc(t->half, n * opt.dims * sizeof(float));
        t->cap = n;
    }
    score_into(t, vecs, n, t->s32, t->ids32, ids);
    for (size_t i = 0; i < n * (size_t)opt.dims; i++)
        t->half[i] = round_half(vecs[i]);
    score_into(t, t->half, n, t->s16, t->ids16, ids);
    return VLM_OK;
}

static double recall(const int64_t *truth, const int64_t *got, int nq)
{
    int hit = 0;
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < K; j++)
            for (int l = 0; l < K; l++)
                if (got[i * K + j] >= 0 && got[i * K + j] == truth[i * K + l]) {
                    hit++;
                    break;
                }
    return hit / (double)(K * nq);
}

static int64_t *exact_truth(collection *c, const float *q)
{
    int nq = opt.n_queries;
    truth_acc t = {.q = q, .nq = nq};
    t.ids32 = malloc((size_t)nq * K * sizeof *t.ids32);
    t.ids16 = malloc((size_t)nq * K * sizeof *t.ids16);
    t.s32 = malloc((size_t)nq * K * sizeof *t.s32);
    t.s16 = malloc((size_t)nq * K * sizeof *t.s16);
    for (int i = 0; i < nq * K; i++)
        t.s32[i] = t.s16[i] = -INFINITY, t.ids32[i] = t.ids16[i] = -1;
    double t0 = bench_now_s();
    if (collection_for_each_embedding(c, 16384, truth_chunk, &t, err))
        die("exact truth");
    printf("exact_bruteforce_s %.1f\n", bench_now_s() - t0);
    printf("float16_storage_recall10 %.4f  (exact search over float16-rounded"
           " embeddings vs float32)\n",
           recall(t.ids32, t.ids16, nq));
    free(t.ids16), free(t.s32), free(t.s16), free(t.scores), free(t.half);
    return t.ids32;
}

/* ------------------------------------------------------------------ */
/* Kinds                                                               */
/* ------------------------------------------------------------------ */

static int refine_opt; /* --refines: the depth being measured */

static vector_index *open_kind(collection *c, int choice, int64_t threshold,
                               int nprobe, bool save)
{
    vector_index_options o = {.approx_threshold = threshold,
                              .choice = choice,
                              .nprobe = nprobe,
                              .refine = refine_opt,
                              .nlist = opt.nlist,
                              .save_after_rebuild = save};
    vector_index *vi = NULL;
    if (vector_index_open(c, &o, &vi, err) != VLM_OK) die("open index");
    return vi;
}

/* One single-vector top-K query with the given scan; returns ms. */
static double one_query(vector_index *vi, const float *q, bool faiss_scan,
                        int64_t *got)
{
    vector_hit hits[K];
    int n = 0;
    if (faiss_scan) setenv("VLMINDEX_SCAN", "faiss", 1);
    double t0 = bench_now_s();
    if (vector_index_search(vi, q, K, NULL, 0, hits, &n, err)) die("search");
    double ms = (bench_now_s() - t0) * 1e3;
    unsetenv("VLMINDEX_SCAN");
    for (int j = 0; j < K; j++) got[j] = j < n ? hits[j].id : -1;
    return ms;
}

typedef struct {
    double *t, sum;
    int64_t *got;
} timing;

static void print_timing(vector_index *vi, const char *name, const char *scan,
                         timing *tm, const int64_t *truth)
{
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("kind %s scan %s nprobe %d refine %d query_ms p50 %.2f mean %.2f "
           "recall10 %.4f\n",
           name, scan ? scan : in.scan_isa, in.nprobe, in.refine,
           bench_median(tm->t, opt.n_queries), tm->sum / opt.n_queries,
           recall(truth, tm->got, opt.n_queries));
}

/* Latency and recall of the own scan and, with_faiss, of FAISS's (the
 * baseline) on the same queries, in alternating order so that neither
 * gets the caches the other warmed. */
static void report_queries(vector_index *vi, const char *name, bool with_faiss,
                           const float *q, const int64_t *truth)
{
    int nq = opt.n_queries;
    timing tm[2];
    for (int s = 0; s < 2; s++) {
        tm[s].t = calloc((size_t)nq, sizeof *tm[s].t);
        tm[s].got = malloc((size_t)nq * K * sizeof *tm[s].got);
        tm[s].sum = 0;
    }
    for (int i = 0; i < nq; i++)
        for (int r = 0; r < (with_faiss ? 2 : 1); r++) {
            int s = with_faiss ? (i + r) % 2 : 0; /* 0 own, 1 faiss */
            tm[s].t[i] = one_query(vi, q + (size_t)i * opt.dims, s == 1,
                                   tm[s].got + (size_t)i * K);
            tm[s].sum += tm[s].t[i];
        }
    print_timing(vi, name, NULL, &tm[0], truth);
    if (with_faiss) print_timing(vi, name, "faiss", &tm[1], truth);
    for (int s = 0; s < 2; s++) free(tm[s].t), free(tm[s].got);
}

static void sweep(collection *c, int choice, const char *name, const float *q,
                  const int64_t *truth, int nlist)
{
    for (int p = nlist >= 64 ? nlist / 64 : 1; p <= nlist / 4;
         p = p < 8 ? p * 2 : p * 3 / 2) {
        vector_index *vi = open_kind(c, choice, 0, p, false);
        report_queries(vi, name, false, q, truth);
        vector_index_close(vi);
    }
}

/* Recall and latency for every (probes, refine) pair of --nprobes x
 * --refines; a list left out means the kind's default (0). */
static void measure_grid(collection *c, int choice, const char *name,
                         const float *q, const int64_t *truth)
{
    char probes[128], refines[128];
    snprintf(probes, sizeof probes, "%s", opt.nprobes ? opt.nprobes : "0");
    char *ps = NULL;
    for (char *p = strtok_r(probes, ",", &ps); p;
         p = strtok_r(NULL, ",", &ps)) {
        snprintf(refines, sizeof refines, "%s",
                 opt.refines ? opt.refines : "0");
        char *rs = NULL;
        for (char *r = strtok_r(refines, ",", &rs); r;
             r = strtok_r(NULL, ",", &rs)) {
            refine_opt = atoi(r);
            vector_index *vi = open_kind(c, choice, 0, atoi(p), false);
            report_queries(vi, name, false, q, truth);
            vector_index_close(vi);
        }
    }
    refine_opt = 0;
}

static void measure_kind(collection *c, const char *dir, const char *kname,
                         const float *q, const int64_t *truth)
{
    int choice = VECTOR_INDEX_CHOICE_AUTO;
    bool exact = !strcmp(kname, "exact");
    if (!exact && vector_index_parse_choice(kname, &choice, err))
        die("--kinds");
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, VECTOR_INDEX_FILE_NAME);
    if (!opt.reuse) remove(path); /* time a build from SQLite, not a reload */
    double t0 = bench_now_s();
    vector_index *vi = open_kind(c, choice, exact ? -1 : 0, 0, true);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    const char *name = vector_index_kind_name(in.kind);
    printf("kind %s %s %.1f file_bytes %lld nlist %d nprobe %d "
           "calibrated_recall10 %.4f\n",
           name, opt.reuse ? "open_or_build_s" : "build_s", bench_now_s() - t0,
           file_size(dir, VECTOR_INDEX_FILE_NAME), in.nlist, in.nprobe,
           in.expected_recall);
    vector_index_close(vi);
    vi = open_kind(c, choice, exact ? -1 : 0, 0, false); /* mmapped */
    report_queries(vi, name, true, q, truth);
    vector_index_close(vi);
    if (opt.sweep && !exact) sweep(c, choice, name, q, truth, in.nlist);
    bool coded =
        in.kind == VECTOR_INDEX_IVF_SQ8 || in.kind == VECTOR_INDEX_IVF_PQ;
    if (in.nlist > 0 && (opt.nprobes || (opt.refines && coded)))
        measure_grid(c, choice, name, q, truth);
}

/* ------------------------------------------------------------------ */
/* Whole processes                                                     */
/* ------------------------------------------------------------------ */

/* Runs argv reps times; prints p50 wall ms and the largest peak RSS. */
static void time_processes(const char *label, char *const *argv)
{
    double *t = malloc((size_t)opt.reps * sizeof *t);
    long max_rss_kb = 0;
    for (int r = 0; r < opt.reps; r++) {
        double t0 = bench_now_s();
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stdout);
            execv(argv[0], argv);
            _exit(127);
        }
        int st;
        struct rusage ru;
        wait4(pid, &st, 0, &ru);
        t[r] = (bench_now_s() - t0) * 1e3;
        if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 1))
            fprintf(stderr, "%s: exit status %d\n", argv[0], st);
        if (ru.ru_maxrss > max_rss_kb) max_rss_kb = ru.ru_maxrss;
    }
    printf("%s p50_ms %.1f max_rss_mb %.0f (%d runs)\n", label,
           bench_median(t, opt.reps), max_rss_kb / 1024.0, opt.reps);
    free(t);
}

static void whole_processes(const char *dir)
{
    char self[4096] = "", vlmsearch[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *once[] = {self, "--search-once", (char *)dir, NULL};
    time_processes("search_once_process", once);
    if (!opt.model) return;
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    snprintf(vlmsearch, sizeof vlmsearch, "%s/../../bin/vlmsearch", self);
    char *argv[] = {vlmsearch,
                    "-C",
                    (char *)dir,
                    "-M",
                    (char *)opt.model,
                    "-n",
                    "10",
                    "a photo of a dog on the beach",
                    NULL};
    time_processes("vlmsearch_process", argv);
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
/* ------------------------------------------------------------------ */

static void run(const char *dir, int64_t n)
{
    bench_synth data, queries;
    bench_synth_init(&data, opt.dims, opt.rank, opt.uniform, n, 12345);
    queries = data; /* same model, another stream */
    queries.state = 987654321;
    collection *c = NULL;
    collection_options co = {.create_if_missing = true};
    if (collection_open(dir, &co, &c, err)) die("open collection");
    fill(c, &data, n);
    if (opt.slice_m > 1) { /* a shard: nothing to measure */
        collection_close(c);
        bench_synth_free(&data);
        return;
    }
    float *q = malloc((size_t)opt.n_queries * opt.dims * sizeof *q);
    for (int i = 0; i < opt.n_queries; i++)
        bench_synth_vector(&queries, q + (size_t)i * opt.dims);
    int64_t *truth = exact_truth(c, q);
    char kinds[256];
    snprintf(kinds, sizeof kinds, "%s",
             opt.kinds                           ? opt.kinds
             : n < VECTOR_INDEX_APPROX_THRESHOLD ? "exact"
                                                 : "sq8,ivfpq");
    char *save = NULL;
    for (char *k = strtok_r(kinds, ",", &save); k;
         k = strtok_r(NULL, ",", &save))
        measure_kind(c, dir, k, q, truth);
    int keep = VECTOR_INDEX_CHOICE_AUTO;
    if (vector_index_parse_choice(opt.keep, &keep, err)) die("--keep");
    if (collection_meta_set(c, "vector_index", opt.keep, err)) die("--keep");
    vector_index_close(open_kind(c, VECTOR_INDEX_CHOICE_DEFAULT, 0, 0, true));
    printf("db_bytes %lld\nindex_bytes %lld\n",
           file_size(dir, COLLECTION_DB_NAME),
           file_size(dir, VECTOR_INDEX_FILE_NAME));
    collection_close(c);
    whole_processes(dir);
    free(q), free(truth);
    bench_synth_free(&data);
}

/* What a one-shot search costs after process start (no text tower). */
static void search_once(const char *dir)
{
    double t0 = bench_now_s();
    collection *c = NULL;
    if (collection_open(dir, NULL, &c, err)) die("open collection");
    double t1 = bench_now_s();
    vector_index *vi = NULL;
    if (vector_index_open(c, NULL, &vi, err) != VLM_OK) die("open index");
    double t2 = bench_now_s();
    collection_model m;
    if (collection_get_model(c, &m, err)) die("model");
    bench_synth s;
    bench_synth_init(&s, m.dims, 0, true, 0, (uint64_t)getpid());
    float *q = malloc((size_t)m.dims * sizeof *q);
    bench_synth_vector(&s, q);
    vector_hit hits[K];
    int n;
    if (vector_index_search(vi, q, K, NULL, 0, hits, &n, err)) die("search");
    double t3 = bench_now_s();
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("search_once_ms %.1f = collection %.1f + index open %.1f + "
           "query %.1f (kind %s, ntotal %lld)\n",
           (t3 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000,
           (t3 - t2) * 1000, vector_index_kind_name(in.kind),
           (long long)in.ntotal);
    vector_index_close(vi);
    collection_close(c);
    free(q);
    bench_synth_free(&s);
}

static int parse(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--uniform"))
            opt.uniform = true;
        else if (!strcmp(a, "--sweep"))
            opt.sweep = true;
        else if (!strcmp(a, "--reuse"))
            opt.reuse = true;
        else if (!v)
            return -1;
        else if (!strcmp(a, "--dims"))
            opt.dims = atoi(v), i++;
        else if (!strcmp(a, "--queries"))
            opt.n_queries = atoi(v), i++;
        else if (!strcmp(a, "--nlist"))
            opt.nlist = atoi(v), i++;
        else if (!strcmp(a, "--rank"))
            opt.rank = atoi(v), i++;
        else if (!strcmp(a, "--reps"))
            opt.reps = atoi(v), i++;
        else if (!strcmp(a, "--kinds"))
            opt.kinds = v, i++;
        else if (!strcmp(a, "--refines"))
            opt.refines = v, i++;
        else if (!strcmp(a, "--nprobes"))
            opt.nprobes = v, i++;
        else if (!strcmp(a, "--slice")) {
            if (sscanf(v, "%d/%d", &opt.slice_k, &opt.slice_m) != 2 ||
                opt.slice_k < 0 || opt.slice_k >= opt.slice_m)
                return -1;
            i++;
        } else if (!strcmp(a, "--keep"))
            opt.keep = v, i++;
        else if (!strcmp(a, "--model"))
            opt.model = v, i++;
        else if (!strcmp(a, "--search-once")) {
            search_once(v);
            exit(0);
        } else
            return -1;
    }
    return i;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible when redirected */
    int i = parse(argc, argv);
    if (i < 0 || argc - i != 2) {
        fprintf(stderr,
                "usage: %s [--dims D] [--rank R|--uniform] [--queries Q] "
                "[--nlist L]\n"
                "          [--kinds exact,flat,sq8,ivfpq] [--keep KIND] "
                "[--sweep] [--refines R,R..]\n"
                "          [--nprobes P,P..] [--reuse] [--slice K/M]\n"
                "          [--model CKPT] [--reps R] DIR N\n"
                "       %s --search-once DIR\n",
                argv[0], argv[0]);
        return 2;
    }
    run(argv[i], atoll(argv[i + 1]));
    return 0;
}
