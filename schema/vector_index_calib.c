/*
 * vector_index_calib.c — after an approximate build, how good is it?
 *
 * Queries: midpoints of pairs of training-sample vectors (normalised) —
 * points between images, as a text query is, rather than an image itself,
 * whose own vector would be an easy first hit.  Their exact top-10 is
 * gathered during the build's pass over SQLite (one GEMM per chunk), then
 * the queries go through the new index's search path (probes, refine)
 * and recall@10 is stored in the collection meta, where `status` shows it.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schema/vector_index_internal.h"
#include "schema/vector_scan.h"

#define CALIB_QUERIES  32
#define CALIB_K        10
#define CALIB_META_KEY "vector_index_calibration"

struct vindex_calib {
    int dims, nq, kind;
    float *queries;   /* nq x dims */
    float *top_score; /* nq x CALIB_K: exact top-k so far */
    int64_t *top_id;
    vscan_topk top[CALIB_QUERIES];
    float *scores; /* chunk x nq */
    size_t scores_cap;
};

static void midpoint(const float *a, const float *b, int dims, float *out)
{
    double ss = 0;
    for (int i = 0; i < dims; i++) {
        out[i] = a[i] + b[i];
        ss += (double)out[i] * out[i];
    }
    float inv = ss > 0 ? (float)(1 / sqrt(ss)) : 0;
    for (int i = 0; i < dims; i++) out[i] *= inv;
}

vindex_calib *vindex_calib_new(const vector_index *vi, int kind,
                               const float *sample, int64_t n_sample)
{
    if (vi->opt.no_calibration || kind == VECTOR_INDEX_EXACT ||
        n_sample < 2 * CALIB_QUERIES)
        return NULL;
    vindex_calib *cal = calloc(1, sizeof *cal);
    int nq = CALIB_QUERIES, d = vi->dims;
    if (cal) {
        cal->queries = malloc((size_t)nq * d * sizeof(float));
        cal->top_score = malloc((size_t)nq * CALIB_K * sizeof(float));
        cal->top_id = malloc((size_t)nq * CALIB_K * sizeof(int64_t));
    }
    if (!cal || !cal->queries || !cal->top_score || !cal->top_id) {
        vindex_calib_free(cal); /* calibration is optional: skip it */
        return NULL;
    }
    cal->dims = d, cal->nq = nq, cal->kind = kind;
    for (int i = 0; i < nq; i++) {
        int64_t a = (int64_t)i * n_sample / nq;
        int64_t b = (a + n_sample / 2 + 1) % n_sample;
        midpoint(sample + a * d, sample + b * d, d,
                 cal->queries + (size_t)i * d);
        vscan_topk_init(&cal->top[i], cal->top_score + i * CALIB_K,
                        cal->top_id + i * CALIB_K, CALIB_K);
    }
    return cal;
}

void vindex_calib_free(vindex_calib *cal)
{
    if (!cal) return;
    free(cal->queries), free(cal->top_score), free(cal->top_id);
    free(cal->scores);
    free(cal);
}

void vindex_calib_chunk(vindex_calib *cal, const int64_t *ids,
                        const float *vecs, size_t n)
{
    if (!cal || n == 0) return;
    if (n * cal->nq > cal->scores_cap) {
        float *grown = realloc(cal->scores, n * cal->nq * sizeof(float));
        if (!grown) return; /* the truth would be incomplete: give up */
        cal->scores = grown;
        cal->scores_cap = n * cal->nq;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, cal->nq,
                cal->dims, 1.0f, vecs, cal->dims, cal->queries, cal->dims, 0.0f,
                cal->scores, cal->nq);
    for (size_t i = 0; i < n; i++)
        for (int q = 0; q < cal->nq; q++)
            vscan_topk_push(&cal->top[q], cal->scores[i * cal->nq + q], ids[i]);
}

static int overlap(const vector_hit *hits, int n, const vscan_topk *truth)
{
    int found = 0;
    for (int i = 0; i < truth->n; i++)
        for (int j = 0; j < n; j++)
            if (hits[j].id == truth->id[i]) {
                found++;
                break;
            }
    return found;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Best effort: a read-only collection or a busy writer skips the record. */
static void store(vector_index *vi, double recall, double ms, int nq)
{
    char value[256];
    snprintf(value, sizeof value,
             "kind=%s ntotal=%lld nlist=%d nprobe=%d refine=%d queries=%d "
             "recall10=%.4f query_ms=%.2f",
             vector_index_kind_name(vi->info.kind), (long long)vi->info.ntotal,
             vi->info.nlist, vi->info.nprobe, vi->info.refine, nq, recall, ms);
    sqlite3_busy_timeout(vi->c->db, 0);
    collection_meta_set(vi->c, CALIB_META_KEY, value, NULL);
    sqlite3_busy_timeout(vi->c->db, vi->c->busy_ms);
    vindex_calib_load(vi);
}

void vindex_calib_finish(vindex_calib *cal, vector_index *vi)
{
    if (!cal) return;
    int found = 0, total = 0;
    vector_hit hits[CALIB_K];
    char suspect[128];
    double t0 = now_ms();
    for (int q = 0; q < cal->nq; q++) {
        vscan_topk_finish(&cal->top[q]);
        int n = 0;
        suspect[0] = '\0';
        if (vindex_search_checked(vi, cal->queries + (size_t)q * cal->dims,
                                  CALIB_K, NULL, 0, hits, &n, suspect,
                                  sizeof suspect, NULL) != VLM_OK)
            return;
        found += overlap(hits, n, &cal->top[q]);
        total += cal->top[q].n;
    }
    if (total > 0)
        store(vi, (double)found / total, (now_ms() - t0) / cal->nq, cal->nq);
}

void vindex_calib_load(vector_index *vi)
{
    char v[256];
    vector_index_info *in = &vi->info;
    in->expected_recall = -1;
    in->calib_queries = 0;
    in->calib_ntotal = 0;
    in->calib_kind[0] = '\0';
    if (collection_meta_get(vi->c, CALIB_META_KEY, v, sizeof v, NULL) != VLM_OK)
        return;
    long long n = 0;
    double recall = -1;
    int nq = 0;
    char kind[16] = "";
    const char *r = strstr(v, "recall10="), *q = strstr(v, "queries=");
    if (sscanf(v, "kind=%15s ntotal=%lld", kind, &n) == 2 && r && q &&
        sscanf(r, "recall10=%lf", &recall) == 1 &&
        sscanf(q, "queries=%d", &nq) == 1) {
        in->expected_recall = recall;
        in->calib_queries = nq;
        in->calib_ntotal = n;
        snprintf(in->calib_kind, sizeof in->calib_kind, "%s", kind);
    }
}
