/*
 * bench_fanout — one query over several collections (shards): each
 * collection searched one after another on one thread (the baseline, what
 * search_run_many did before it ran them side by side) against
 * search_run_many, alternating, on the same query vectors, in one process.
 *
 *   bench_fanout [--queries Q] [--nprobe N] [--refine R] DIR DIR...
 *
 * The collections must hold embeddings of one model (e.g. the shards of
 * `bench_vector_index --slice K/M`); queries are random unit vectors of
 * its size.  Prints p50 ms of both and their ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "bench/schema/bench_synth.h"
#include "query/search.h"
#include "session/session.h"

#define K 10

static char err[VLM_ERR_MAX];

static void die(const char *what)
{
    fprintf(stderr, "bench_fanout: %s: %s\n", what, err);
    exit(2);
}

static session **open_all(char **dirs, int n, int nprobe, int refine)
{
    session **s = calloc((size_t)n, sizeof *s);
    session_config cfg = session_config_default();
    cfg.collection = dirs[0];
    cfg.access = SESSION_READ;
    cfg.index = SESSION_INDEX_REQUIRED;
    cfg.parts = 0; /* stored vectors only: no model */
    cfg.nprobe = nprobe;
    cfg.refine = refine;
    if (session_open(&cfg, &s[0], err)) die(dirs[0]);
    for (int i = 1; i < n; i++)
        if (session_open_also(s[0], dirs[i], &s[i], err)) die(dirs[i]);
    return s;
}

/* The baseline: every collection's top-K on this thread, one by one. */
static double one_by_one(session **s, int n, const float *q)
{
    search_options so = {.top_k = K};
    double t0 = bench_now_s();
    for (int i = 0; i < n; i++) {
        search_hit *h;
        int nh;
        if (search_run(session_collection(s[i]), session_index(s[i]), q, &so,
                       &h, &nh, err))
            die("search_run");
        search_hits_free(h, nh);
    }
    return (bench_now_s() - t0) * 1e3;
}

static double side_by_side(session **s, int n, const float *q)
{
    search_options so = {.top_k = K};
    search_hit *h;
    int nh;
    double t0 = bench_now_s();
    if (search_run_many(s, n, q, &so, NULL, &h, &nh, err))
        die("search_run_many");
    double ms = (bench_now_s() - t0) * 1e3;
    search_hits_free(h, nh);
    return ms;
}

static void run(char **dirs, int n, int nq, int nprobe, int refine)
{
    session **s = open_all(dirs, n, nprobe, refine);
    collection_model m;
    if (collection_get_model(session_collection(s[0]), &m, err)) die("model");
    bench_synth gen;
    bench_synth_init(&gen, m.dims, 0, true, 0, 4242);
    float *q = malloc((size_t)m.dims * sizeof *q);
    double *a = malloc((size_t)nq * sizeof *a), *b = malloc(nq * sizeof *b);
    for (int i = 0; i < nq; i++) {
        bench_synth_vector(&gen, q);
        if (i % 2) /* alternate which goes first: neither warms the other */
            a[i] = one_by_one(s, n, q), b[i] = side_by_side(s, n, q);
        else
            b[i] = side_by_side(s, n, q), a[i] = one_by_one(s, n, q);
    }
    vector_index_info in;
    vector_index_get_info(session_index(s[0]), &in);
    double pa = bench_median(a, nq), pb = bench_median(b, nq);
    printf("collections %d kind %s nprobe %d refine %d queries %d\n"
           "one_by_one_p50_ms %.2f\nsearch_run_many_p50_ms %.2f\n"
           "speedup %.2f\n",
           n, vector_index_kind_name(in.kind), in.nprobe, in.refine, nq, pa, pb,
           pa / pb);
    for (int i = 0; i < n; i++) session_close(s[i]);
    free(s), free(q), free(a), free(b);
    bench_synth_free(&gen);
}

int main(int argc, char **argv)
{
    int i = 1, nq = 200, nprobe = 0, refine = 0;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--queries"))
            nq = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--nprobe"))
            nprobe = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--refine"))
            refine = atoi(argv[i + 1]);
        else
            break;
    }
    if (argc - i < 2 || nq < 1) {
        fprintf(
            stderr,
            "usage: %s [--queries Q] [--nprobe N] [--refine R] DIR DIR...\n",
            argv[0]);
        return 2;
    }
    run(argv + i, argc - i, nq, nprobe, refine);
    return 0;
}
