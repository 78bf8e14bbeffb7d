/* query/search.h: top-k equals brute force, threshold, --in subset, rows
 * deleted since the index was saved, score-all; and the query vector rule
 * (weighted sum of normalised term embeddings, normalised) on the tiny
 * CLIP fixture. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/search.h"
#include "tests/common/test_workspace.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 16
#define N    40

static char *dir;
static char a_dir[700], b_dir[700];
static collection *c;
static vector_index *vi;
static float *vecs;
static int64_t ids[N];
static char err[VLM_ERR_MAX];

/* 30 vectors under DIR/a, 10 under DIR/b (folders that exist). */
static void setup(void)
{
    dir = scratch_dir();
    snprintf(a_dir, sizeof a_dir, "%s/a", dir);
    snprintf(b_dir, sizeof b_dir, "%s/b", dir);
    mkdir(a_dir, 0755);
    mkdir(b_dir, 0755);
    c = open_test_collection(dir, DIMS);
    vecs = random_unit_vectors(N, DIMS, 42);
    add_test_images(c, a_dir, vecs, 30, DIMS, ids);
    add_test_images(c, b_dir, vecs + 30 * DIMS, 10, DIMS, ids + 30);
    cr_assert_eq(vector_index_open(c, NULL, &vi, err), VLM_OK, "%s", err);
    err[0] = 0;
}

static void teardown(void)
{
    vector_index_close(vi);
    collection_close(c);
    free(vecs);
    scratch_remove(dir);
}

TestSuite(search, .init = setup, .fini = teardown);

Test(search, top_k_is_the_brute_force_top_k_with_paths)
{
    const float *q = vecs + 7 * DIMS;
    search_options so = {.top_k = 10};
    search_hit *hits;
    int n;
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK, "%s", err);
    int64_t want[10];
    float want_scores[10];
    brute_force_topk(q, vecs, ids, N, DIMS, 10, want, want_scores);
    cr_assert_eq(n, 10);
    cr_assert_eq(hits[0].id, ids[7]);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(hits[i].id, want[i], "rank %d", i);
        cr_assert_float_eq(hits[i].score, want_scores[i], 1e-5);
        collection_image row;
        cr_assert_eq(collection_get_image(c, hits[i].id, &row, err), VLM_OK);
        cr_assert_str_eq(hits[i].path, row.path);
    }
    search_hits_free(hits, n);
}

Test(search, threshold_and_in_dir)
{
    const float *q = vecs + 33 * DIMS; /* one of b's */
    search_options so = {.top_k = 40, .use_threshold = 1, .min_score = 0.2f};
    search_hit *hits;
    int n;
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK, "%s", err);
    cr_assert_gt(n, 0);
    cr_assert_lt(n, 40);
    for (int i = 0; i < n; i++) cr_assert_geq(hits[i].score, 0.2f);
    search_hits_free(hits, n);

    so = (search_options){.top_k = 5, .in_dir = a_dir};
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK, "%s", err);
    int64_t want[5];
    float scores[5];
    brute_force_topk(q, vecs, ids, 30, DIMS, 5, want, scores); /* a only */
    cr_assert_eq(n, 5);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(hits[i].id, want[i], "the true top-k of the subtree");
        cr_assert(strstr(hits[i].path, a_dir) == hits[i].path);
    }
    search_hits_free(hits, n);

    char empty[800];
    snprintf(empty, sizeof empty, "%s/none", dir);
    so.in_dir = empty;
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK, "%s", err);
    cr_assert_eq(n, 0);
    free(hits);
}

Test(search, rows_deleted_since_the_index_are_skipped)
{
    const float *q = vecs + 3 * DIMS;
    cr_assert_eq(collection_delete_image(c, ids[3], err), VLM_OK, "%s", err);
    search_options so = {.top_k = 3};
    search_hit *hits;
    int n;
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK, "%s", err);
    /* The index checks hits against SQLite: it catches up with the change
     * log and answers the full top 3 of what is there now. */
    cr_assert_eq(n, 3, "the stale hit is dropped, not an error");
    for (int i = 0; i < n; i++) cr_assert_neq(hits[i].id, ids[3]);
    search_hits_free(hits, n);
    search_hit h = {.id = ids[3]};
    cr_assert_eq(search_hit_lookup(c, &h, err), VLM_ENOTFOUND);
}

Test(search, score_all_is_every_dot_product)
{
    const float *q = vecs;
    int64_t *sid;
    float *scores;
    size_t n;
    cr_assert_eq(search_score_all(c, q, DIMS, &sid, &scores, &n, err), VLM_OK);
    cr_assert_eq(n, N);
    for (size_t i = 0; i < n; i++) {
        float dot = 0;
        for (int d = 0; d < DIMS; d++) dot += q[d] * vecs[i * DIMS + d];
        cr_assert_eq(sid[i], ids[i]);
        cr_assert_float_eq(scores[i], dot, 1e-5);
    }
    free(sid);
    free(scores);
}

/* ---- the query vector, on the tiny CLIP fixture ------------------------ */

static clip_model *load_tiny(test_ws *ws)
{
    test_ws_init(ws, "clip-tiny-quickgelu-f32");
    clip_options o = clip_options_default();
    o.threads = 1;
    clip_model *m;
    cr_assert_eq(clip_model_load(ws->model, &o, &m, err), VLM_OK, "%s", err);
    return m;
}

static void unit(clip_model *m, const char *text, float *out)
{
    cr_assert_eq(clip_encode_text(m, text, out, err), VLM_OK, "%s", err);
    clip_l2_normalize(out, clip_embed_dim(m));
}

Test(search, weighted_terms_combine_normalised_embeddings)
{
    test_ws ws;
    clip_model *m = load_tiny(&ws);
    int d = clip_embed_dim(m);
    float *cat = malloc(d * sizeof *cat), *dog = malloc(d * sizeof *dog),
          *got = malloc(d * sizeof *got), *img = malloc(d * sizeof *img);
    unit(m, "cat", cat);
    unit(m, "dog", dog);
    const char *words[] = {"2:cat", "-", "dog"};
    query q;
    cr_assert_eq(query_parse(3, words, &q, err), VLM_OK, "%s", err);
    cr_assert_eq(search_embed_query(m, &q, got, err), VLM_OK, "%s", err);
    double ss = 0;
    for (int i = 0; i < d; i++) {
        float want = 2 * cat[i] - dog[i];
        ss += (double)want * want;
    }
    for (int i = 0; i < d; i++)
        cr_assert_float_eq(got[i], (2 * cat[i] - dog[i]) / sqrt(ss), 1e-5);
    query_free(&q);

    char photo[800];
    snprintf(photo, sizeof photo, "%s/bee.jpg", ws.photos);
    const char *image_words[] = {photo};
    cr_assert_eq(query_parse(1, image_words, &q, err), VLM_OK, "%s", err);
    cr_assert_eq(search_embed_query(m, &q, got, err), VLM_OK, "%s", err);
    cr_assert_eq(search_embed_image_file(m, photo, img, err), VLM_OK);
    clip_l2_normalize(img, d);
    for (int i = 0; i < d; i++) cr_assert_float_eq(got[i], img[i], 1e-6);
    query_free(&q);
    free(cat), free(dog), free(got), free(img);
    clip_model_destroy(m);
    test_ws_cleanup(&ws);
}
