/* Tests for schema/vector_index.h: exactness against brute force, id
 * selector, rebuild on missing / corrupt / stale files, incremental
 * catch-up, atomic writes, and the IVF kind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "tests/schema/schema_test_util.h"

#define DIMS VEC_FIXTURE_DIMS
#define N    VEC_FIXTURE_N
#define K    10

TestSuite(vector_index, .init = vector_fixture_init,
          .fini = vector_fixture_fini);

static vector_index *open_index(const vector_index_options *o)
{
    vector_index *vi = NULL;
    cr_assert_eq(vector_index_open(test_coll, o, &vi, test_err), VLM_OK, "%s",
                 test_err);
    return vi;
}

/* Search == brute force over SQLite's embeddings, optionally restricted
 * to `subset` (sorted ascending). */
static void expect_exact(vector_index *vi, const float *q,
                         const int64_t *subset, size_t n_subset)
{
    int64_t *all_ids;
    float *all;
    size_t n;
    int dims;
    cr_assert_eq(collection_load_embeddings(test_coll, &all_ids, &all, &n,
                                            &dims, test_err),
                 VLM_OK, "%s", test_err);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = !subset;
        for (size_t j = 0; subset && j < n_subset && !keep; j++)
            keep = subset[j] == all_ids[i];
        if (!keep) continue;
        all_ids[m] = all_ids[i];
        memmove(all + m * DIMS, all + i * DIMS, DIMS * sizeof *all);
        m++;
    }
    int64_t want[K];
    float want_s[K];
    brute_force_topk(q, all, all_ids, m, DIMS, K, want, want_s);
    vector_hit hits[K];
    int got = 0;
    cr_assert_eq(
        vector_index_search(vi, q, K, subset, n_subset, hits, &got, test_err),
        VLM_OK, "%s", test_err);
    int expect_n = m < K ? (int)m : K;
    cr_assert_eq(got, expect_n);
    for (int i = 0; i < got; i++) {
        cr_assert_eq(hits[i].id, want[i], "rank %d: %lld vs %lld", i,
                     (long long)hits[i].id, (long long)want[i]);
        cr_assert_float_eq(hits[i].score, want_s[i], 1e-5);
    }
    free(all_ids), free(all);
}

static float *queries(int n, uint64_t seed)
{
    return random_unit_vectors((size_t)n, DIMS, seed);
}

static bool file_exists(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", test_dir, name);
    return access(p, F_OK) == 0;
}

Test(vector_index, exact_equals_brute_force)
{
    vector_index *vi = open_index(NULL);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.kind, VECTOR_INDEX_EXACT);
    cr_assert_eq(info.ntotal, N);
    cr_assert(info.rebuilt);
    cr_assert_str_eq(info.rebuild_reason, "missing");
    float *q = queries(20, 7);
    for (int i = 0; i < 20; i++) expect_exact(vi, q + i * DIMS, NULL, 0);
    free(q);
    vector_index_close(vi);
}

Test(vector_index, selector_restricts_inside_search)
{
    vector_index *vi = open_index(NULL);
    int64_t subset[N / 7 + 1];
    size_t ns = 0;
    for (int i = 0; i < N; i += 7) subset[ns++] = test_ids[i];
    float *q = queries(10, 8);
    for (int i = 0; i < 10; i++) expect_exact(vi, q + i * DIMS, subset, ns);
    /* a subset smaller than k returns just its members */
    expect_exact(vi, q, subset, 3);
    vector_hit hits[K];
    int got = -1;
    cr_assert_eq(vector_index_search(vi, q, K, subset, 0, hits, &got, test_err),
                 VLM_OK);
    cr_assert_eq(got, 0, "empty subset gives no hits");
    free(q);
    vector_index_close(vi);
}

Test(vector_index, saved_file_is_reused_and_atomic)
{
    vector_index_options o = {.save_after_rebuild = true};
    vector_index *vi = open_index(&o);
    vector_index_close(vi);
    cr_assert(file_exists(VECTOR_INDEX_FILE_NAME));
    DIR *d = opendir(test_dir);
    struct dirent *e;
    while ((e = readdir(d)))
        cr_assert_null(strstr(e->d_name, ".tmp"), "leftover %s", e->d_name);
    closedir(d);

    vi = open_index(NULL);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert(info.loaded_from_file);
    cr_assert_not(info.rebuilt);
    cr_assert_eq(info.replayed, 0);
    float *q = queries(5, 9);
    for (int i = 0; i < 5; i++) expect_exact(vi, q + i * DIMS, NULL, 0);
    free(q);
    vector_index_close(vi);
}

static void write_file(const char *name, const void *data, size_t n)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", test_dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fwrite(data, 1, n, f);
    fclose(f);
}

Test(vector_index, corrupt_file_is_rebuilt)
{
    vector_index_options o = {.save_after_rebuild = true};
    vector_index_close(open_index(&o));
    char garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (char)(i * 31 + 7);
    write_file(VECTOR_INDEX_FILE_NAME, garbage, sizeof garbage);

    vector_index *vi = open_index(&o);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert_not(info.loaded_from_file);
    cr_assert(info.rebuilt);
    cr_assert(strncmp(info.rebuild_reason, "corrupt", 7) == 0, "%s",
              info.rebuild_reason);
    float *q = queries(3, 10);
    expect_exact(vi, q, NULL, 0);
    vector_index_close(vi);

    /* the rebuild was saved: next open loads it */
    vi = open_index(NULL);
    vector_index_get_info(vi, &info);
    cr_assert(info.loaded_from_file);
    expect_exact(vi, q, NULL, 0);
    free(q);
    vector_index_close(vi);
}

Test(vector_index, truncated_file_is_rebuilt)
{
    vector_index_options o = {.save_after_rebuild = true};
    vector_index_close(open_index(&o));
    char p[700];
    snprintf(p, sizeof p, "%s/%s", test_dir, VECTOR_INDEX_FILE_NAME);
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(p, size - 100), 0);
    vector_index *vi = open_index(NULL);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert(info.rebuilt);
    cr_assert(strncmp(info.rebuild_reason, "corrupt", 7) == 0);
    vector_index_close(vi);
}

Test(vector_index, stale_file_catches_up_incrementally)
{
    vector_index_options o = {.save_after_rebuild = true};
    vector_index_close(open_index(&o));
    /* change the collection: 5 new images, 1 deleted, 1 failed */
    float *more = random_unit_vectors(5, DIMS, 99);
    int64_t more_ids[5];
    add_test_images(test_coll, "/more", more, 5, DIMS, more_ids);
    cr_assert_eq(collection_delete_image(test_coll, test_ids[0], test_err),
                 VLM_OK);
    collection_image_info fail = {.path = "/v/img1.jpg"};
    cr_assert_eq(
        collection_put_failure(test_coll, &fail, "broken", NULL, test_err),
        VLM_OK);

    vector_index *vi = open_index(NULL);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert(info.loaded_from_file);
    cr_assert_not(info.rebuilt);
    cr_assert_eq(info.replayed, 7);
    cr_assert_eq(info.ntotal, N + 5 - 2);
    int64_t g;
    collection_generation(test_coll, &g, test_err);
    cr_assert_eq(info.generation, g);
    vector_hit hits[K];
    int got;
    /* querying with a new vector finds it first; deleted ones are gone */
    cr_assert_eq(vector_index_search(vi, more + 2 * DIMS, K, NULL, 0, hits,
                                     &got, test_err),
                 VLM_OK);
    cr_assert_eq(hits[0].id, more_ids[2]);
    cr_assert_eq(
        vector_index_search(vi, test_vecs, K, NULL, 0, hits, &got, test_err),
        VLM_OK);
    for (int i = 0; i < got; i++) cr_assert_neq(hits[i].id, test_ids[0]);
    expect_exact(vi, test_vecs + 1 * DIMS, NULL, 0);
    vector_index_close(vi);
    free(more);
}

Test(vector_index, stale_beyond_change_log_is_rebuilt)
{
    vector_index_options o = {.save_after_rebuild = true};
    vector_index_close(open_index(&o));
    float *more = random_unit_vectors(2, DIMS, 5);
    add_test_images(test_coll, "/x", more, 2, DIMS, NULL);
    int64_t g;
    collection_generation(test_coll, &g, test_err);
    cr_assert_eq(collection_prune_changes(test_coll, g, test_err), VLM_OK);
    vector_index *vi = open_index(NULL);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert(info.rebuilt);
    cr_assert(strncmp(info.rebuild_reason, "stale", 5) == 0, "%s",
              info.rebuild_reason);
    cr_assert_eq(info.ntotal, N + 2);
    expect_exact(vi, more, NULL, 0);
    vector_index_close(vi);
    free(more);
}

Test(vector_index, sync_after_each_batch)
{
    vector_index *vi = open_index(NULL);
    float *more = random_unit_vectors(30, DIMS, 77);
    for (int b = 0; b < 3; b++) {
        char root[16];
        snprintf(root, sizeof root, "/b%d", b);
        add_test_images(test_coll, root, more + b * 10 * DIMS, 10, DIMS, NULL);
        cr_assert_eq(vector_index_sync(vi, test_err), VLM_OK, "%s", test_err);
    }
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.ntotal, N + 30);
    cr_assert_eq(info.replayed, 30);
    cr_assert_eq(vector_index_save(vi, test_err), VLM_OK, "%s", test_err);
    expect_exact(vi, more + 25 * DIMS, NULL, 0);
    vector_index_close(vi);
    free(more);
}

/* Threshold below N: an approximate kind; probing every list makes it
 * exact, which lets the test compare with brute force.  The compressed
 * kinds re-score from SQLite, so their scores are exact too. */
static void approx_kind_past_threshold(int choice, int kind)
{
    vector_index_options o = {.approx_threshold = 400,
                              .choice = choice,
                              .nprobe = 1 << 20,
                              .save_after_rebuild = true};
    vector_index *vi = open_index(&o);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.kind, kind, "%s", vector_index_kind_name(info.kind));
    cr_assert_gt(info.nlist, 1);
    float *q = queries(5, 12);
    for (int i = 0; i < 5; i++) expect_exact(vi, q + i * DIMS, NULL, 0);
    vector_index_close(vi);

    /* reload (lists memory-mapped), then change and sync, then subset */
    vi = open_index(&o);
    vector_index_get_info(vi, &info);
    cr_assert(info.loaded_from_file);
    cr_assert_eq(info.kind, kind);
    expect_exact(vi, q, NULL, 0);
    cr_assert_eq(collection_delete_image(test_coll, test_ids[3], test_err),
                 VLM_OK);
    float *more = random_unit_vectors(4, DIMS, 13);
    add_test_images(test_coll, "/ivf", more, 4, DIMS, NULL);
    cr_assert_eq(vector_index_sync(vi, test_err), VLM_OK, "%s", test_err);
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.ntotal, N - 1 + 4);
    cr_assert_eq(info.kind, kind);
    expect_exact(vi, more + DIMS, NULL, 0);
    int64_t subset[] = {test_ids[5], test_ids[50], test_ids[500]};
    expect_exact(vi, q + DIMS, subset, 3);
    cr_assert_eq(vector_index_save(vi, test_err), VLM_OK, "%s", test_err);
    vector_index_close(vi);
    free(q), free(more);
}

Test(vector_index, ivf_flat_kind_past_threshold)
{
    approx_kind_past_threshold(VECTOR_INDEX_CHOICE_FLAT, VECTOR_INDEX_IVF);
}

Test(vector_index, ivf_sq8_kind_past_threshold)
{
    approx_kind_past_threshold(VECTOR_INDEX_CHOICE_AUTO, VECTOR_INDEX_IVF_SQ8);
}

Test(vector_index, ivf_small_subset_probes_enough_lists)
{
    /* default nprobe: a 5-id subset must still come back complete, since
     * the search widens its probes for small subsets */
    vector_index_options o = {.approx_threshold = 400};
    vector_index *vi = open_index(&o);
    int64_t subset[] = {test_ids[1], test_ids[100], test_ids[200],
                        test_ids[300], test_ids[599]};
    float *q = queries(3, 14);
    for (int i = 0; i < 3; i++) expect_exact(vi, q + i * DIMS, subset, 5);
    free(q);
    vector_index_close(vi);
}

Test(vector_index, empty_collection_then_first_images)
{
    char *d2 = scratch_dir();
    collection *c = open_test_collection(d2, DIMS);
    vector_index *vi = NULL;
    cr_assert_eq(vector_index_open(c, NULL, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_hit hits[K];
    int got = -1;
    cr_assert_eq(
        vector_index_search(vi, test_vecs, K, NULL, 0, hits, &got, test_err),
        VLM_OK, "%s", test_err);
    cr_assert_eq(got, 0);
    int64_t one;
    add_test_images(c, "/first", test_vecs, 1, DIMS, &one);
    cr_assert_eq(vector_index_sync(vi, test_err), VLM_OK, "%s", test_err);
    cr_assert_eq(
        vector_index_search(vi, test_vecs, K, NULL, 0, hits, &got, test_err),
        VLM_OK);
    cr_assert_eq(got, 1);
    cr_assert_eq(hits[0].id, one);
    cr_assert_float_eq(hits[0].score, 1.0f, 1e-5);
    vector_index_close(vi);
    collection_close(c);
    scratch_remove(d2);
}
