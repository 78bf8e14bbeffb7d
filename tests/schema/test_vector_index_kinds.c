/* Tests for the kinds of schema/vector_index.h beyond the exact one: the
 * compressed ones (SQ8, PQ) with their re-scoring, the stored choice,
 * kind switching, the recall calibration, and the vectorised scan
 * (schema/vector_scan.h) against FAISS's own and a scalar reference. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "schema/vector_scan.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 32
#define K    10

static char *dir;
static char err[VLM_ERR_MAX];
static collection *coll;

static void setup(void)
{
    dir = scratch_dir();
    err[0] = '\0';
    coll = open_test_collection(dir, DIMS);
}

static void teardown(void)
{
    collection_close(coll);
    scratch_remove(dir);
}

TestSuite(vector_index_kinds, .init = setup, .fini = teardown);
TestSuite(vector_scan, .init = setup, .fini = teardown);

static float *add_random(size_t n, uint64_t seed, int64_t *ids)
{
    float *v = random_unit_vectors(n, DIMS, seed);
    char root[32];
    snprintf(root, sizeof root, "/r%llu", (unsigned long long)seed);
    add_test_images(coll, root, v, n, DIMS, ids);
    return v;
}

/* Vectors around 100 random centres (cosine ~0.8 to their centre): the
 * neighbourhoods real embeddings have, which PQ codes rank well. */
static float *add_clustered(size_t n, uint64_t seed)
{
    float *c = random_unit_vectors(100, DIMS, seed);
    float *noise = random_unit_vectors(n, DIMS, seed + 1);
    float *v = malloc(n * DIMS * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (int j = 0; j < DIMS; j++) {
            float x = c[(i % 100) * DIMS + j] + 0.75f * noise[i * DIMS + j];
            v[i * DIMS + j] = x;
            ss += (double)x * x;
        }
        for (int j = 0; j < DIMS; j++) v[i * DIMS + j] /= (float)sqrt(ss);
    }
    add_test_images(coll, "/clustered", v, n, DIMS, NULL);
    free(c), free(noise);
    return v;
}

static vector_index *open_with(const vector_index_options *o)
{
    vector_index *vi = NULL;
    cr_assert_eq(vector_index_open(coll, o, &vi, err), VLM_OK, "%s", err);
    return vi;
}

/* Fraction of brute-force top-K found; every hit's score must be exact. */
static double recall_vs_brute_force(vector_index *vi, const float *q, int nq)
{
    int64_t *ids;
    float *all;
    size_t n;
    int dims, found = 0;
    cr_assert_eq(collection_load_embeddings(coll, &ids, &all, &n, &dims, err),
                 VLM_OK, "%s", err);
    for (int i = 0; i < nq; i++) {
        int64_t want[K];
        float want_s[K];
        brute_force_topk(q + i * DIMS, all, ids, n, DIMS, K, want, want_s);
        vector_hit hits[K];
        int got = 0;
        cr_assert_eq(
            vector_index_search(vi, q + i * DIMS, K, NULL, 0, hits, &got, err),
            VLM_OK, "%s", err);
        cr_assert_eq(got, K);
        for (int j = 0; j < got; j++) {
            for (int l = 0; l < K; l++) found += hits[j].id == want[l];
            cr_assert_leq(hits[j].score, want_s[0] + 1e-5f);
            if (j > 0) cr_assert_leq(hits[j].score, hits[j - 1].score);
        }
    }
    free(ids), free(all);
    return found / (double)(nq * K);
}

Test(vector_index_kinds, pq_kind_rescores_from_sqlite)
{
    /* PQ trains 256 centroids per sub-vector: it needs ~10k vectors. */
    float *v = add_clustered(12000, 3);
    vector_index_options o = {.approx_threshold = 1000,
                              .choice = VECTOR_INDEX_CHOICE_PQ,
                              .nprobe = 1 << 20,
                              .save_after_rebuild = true};
    vector_index *vi = open_with(&o);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF_PQ, "%s",
                 vector_index_kind_name(in.kind));
    cr_assert_eq(in.refine, 32);
    /* 4 bytes of codes per vector instead of 128 (+ 8 of id). */
    cr_assert_lt(in.file_bytes, 12000 * (4 + 8) + (1 << 20));
    float *q = malloc(20 * DIMS * sizeof *q); /* near stored vectors */
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < DIMS; j++)
            q[i * DIMS + j] = v[(i * 577 % 12000) * DIMS + j];
    double r = recall_vs_brute_force(vi, q, 20);
    cr_assert_geq(r, 0.9, "recall@10 %.3f with all lists probed", r);
    vector_index_close(vi);
    vi = open_with(&o); /* reload: mapped lists, same answers */
    vector_index_get_info(vi, &in);
    cr_assert(in.loaded_from_file);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF_PQ);
    cr_assert_geq(recall_vs_brute_force(vi, q, 20), 0.9);
    vector_index_close(vi);
    free(q), free(v);
}

Test(vector_index_kinds, choice_is_stored_and_switches_kinds)
{
    float *v = add_random(600, 4, NULL);
    vector_index_options o = {.approx_threshold = 400};
    vector_index *vi = open_with(&o);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF_SQ8, "auto picks SQ8");
    cr_assert_eq(in.choice, VECTOR_INDEX_CHOICE_AUTO);
    cr_assert_eq(vector_index_set_choice(vi, VECTOR_INDEX_CHOICE_FLAT, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(vector_index_save(vi, err), VLM_OK, "%s", err);
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF);
    vector_index_close(vi);

    vi = open_with(&o); /* the collection remembers "flat" */
    vector_index_get_info(vi, &in);
    cr_assert(in.loaded_from_file);
    cr_assert_not(in.rebuilt, "%s", in.rebuild_reason);
    cr_assert_eq(in.choice, VECTOR_INDEX_CHOICE_FLAT);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF);
    vector_index_close(vi);

    o.choice = VECTOR_INDEX_CHOICE_SQ8; /* a file of another kind: rebuilt */
    vi = open_with(&o);
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF_SQ8);
    cr_assert(in.rebuilt);
    vector_index_close(vi);
    free(v);
}

Test(vector_index_kinds, calibration_is_recorded)
{
    float *v = add_random(3000, 5, NULL);
    vector_index_options o = {.approx_threshold = 1000};
    vector_index *vi = open_with(&o);
    vector_index_info in;
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.kind, VECTOR_INDEX_IVF_SQ8);
    cr_assert_eq(in.calib_queries, 32);
    cr_assert_eq(in.calib_ntotal, 3000);
    cr_assert_str_eq(in.calib_kind, "ivf-sq8");
    cr_assert(in.expected_recall > 0.3 && in.expected_recall <= 1.0, "%f",
              in.expected_recall);
    vector_index_close(vi);
    char meta[256];
    cr_assert_eq(collection_meta_get(coll, "vector_index_calibration", meta,
                                     sizeof meta, err),
                 VLM_OK, "%s", err);
    cr_assert(strstr(meta, "recall10="), "%s", meta);
    o.no_calibration = true; /* an exact index has nothing to calibrate */
    vi = open_with(&o);
    vector_index_get_info(vi, &in);
    cr_assert_eq(in.calib_ntotal, 3000, "last calibration still shown");
    vector_index_close(vi);
    free(v);
}

Test(vector_index_kinds, parse_choice_names)
{
    int c = -1;
    cr_assert_eq(vector_index_parse_choice("ivfpq", &c, err), VLM_OK);
    cr_assert_eq(c, VECTOR_INDEX_CHOICE_PQ);
    cr_assert_eq(vector_index_parse_choice("flat", &c, err), VLM_OK);
    cr_assert_eq(c, VECTOR_INDEX_CHOICE_FLAT);
    cr_assert_eq(vector_index_parse_choice("sq8", &c, err), VLM_OK);
    cr_assert_eq(vector_index_parse_choice("hnsw", &c, err), VLM_EINVAL);
    cr_assert(strstr(err, "hnsw") && strstr(err, "ivfpq"), "%s", err);
}

/* ------------------------------------------------------------------ */
/* Scan kernels                                                        */
/* ------------------------------------------------------------------ */

static void check_kernels(const char *isa)
{
    if (isa) setenv("VLMINDEX_MAX_ISA", isa, 1); /* before the first call */
    const int n = 37, d = 77; /* odd sizes: tails of every loop */
    float *q = random_unit_vectors(1, d, 1), *x = random_unit_vectors(n, d, 2);
    uint8_t codes[37 * 77];
    for (int i = 0; i < n * d; i++) codes[i] = (uint8_t)(i * 37 % 251);
    float out[37], out8[37];
    vscan_dot_f32(q, x, n, d, out);
    vscan_dot_u8(q, codes, n, d, out8);
    for (int i = 0; i < n; i++) {
        double ref = 0, ref8 = 0;
        for (int j = 0; j < d; j++) {
            ref += (double)q[j] * x[i * d + j];
            ref8 += (double)q[j] * codes[i * d + j];
        }
        cr_assert_float_eq(out[i], ref, 1e-5, "%s f32 row %d", vscan_isa(), i);
        cr_assert_float_eq(out8[i], ref8, 1e-5 * (1 + fabs(ref8)),
                           "%s u8 row %d", vscan_isa(), i);
    }
    if (isa && !strcmp(isa, "generic"))
        cr_assert_str_eq(vscan_isa(), "generic");
    free(q), free(x);
}

/* Criterion runs each test in its own process: each picks its kernels. */
Test(vector_scan, kernels_default) { check_kernels(NULL); }
Test(vector_scan, kernels_avx2_cap) { check_kernels("avx2"); }
Test(vector_scan, kernels_generic) { check_kernels("generic"); }

Test(vector_scan, topk_keeps_the_best_sorted)
{
    float s[5];
    int64_t id[5];
    vscan_topk t;
    vscan_topk_init(&t, s, id, 5);
    for (int i = 0; i < 100; i++)
        vscan_topk_push(&t, (float)((i * 37) % 100), i);
    cr_assert_eq(vscan_topk_finish(&t), 5);
    for (int i = 0; i < 5; i++) cr_assert_float_eq(s[i], 99 - i, 0);
}

/* The own scan and FAISS's give the same answers, kind by kind. */
static void same_as_faiss(int choice)
{
    float *v = add_random(2000, 6, NULL);
    vector_index_options o = {.approx_threshold = 1000, .choice = choice};
    vector_index *vi = open_with(&o);
    float *q = random_unit_vectors(10, DIMS, 8);
    for (int i = 0; i < 10; i++) {
        vector_hit a[K], b[K];
        int na = 0, nb = 0;
        cr_assert_eq(
            vector_index_search(vi, q + i * DIMS, K, NULL, 0, a, &na, err),
            VLM_OK, "%s", err);
        setenv("VLMINDEX_SCAN", "faiss", 1);
        cr_assert_eq(
            vector_index_search(vi, q + i * DIMS, K, NULL, 0, b, &nb, err),
            VLM_OK, "%s", err);
        unsetenv("VLMINDEX_SCAN");
        cr_assert_eq(na, nb);
        for (int j = 0; j < na; j++) {
            cr_assert_eq(a[j].id, b[j].id, "query %d rank %d", i, j);
            cr_assert_float_eq(a[j].score, b[j].score, 1e-5);
        }
    }
    vector_index_close(vi);
    free(q), free(v);
}

Test(vector_scan, ivf_flat_same_as_faiss)
{
    same_as_faiss(VECTOR_INDEX_CHOICE_FLAT);
}
Test(vector_scan, ivf_sq8_same_as_faiss)
{
    same_as_faiss(VECTOR_INDEX_CHOICE_SQ8);
}
Test(vector_scan, ivf_pq_same_as_faiss)
{
    float *v = add_random(10500, 9, NULL);
    free(v);
    same_as_faiss(VECTOR_INDEX_CHOICE_PQ);
}
