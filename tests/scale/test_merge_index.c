/* indexer_merge() past the approximate-index threshold: four synthetic
 * shards (52,000 vectors) merge into a collection whose vector index is
 * built once, approximate and saved; merging again after one shard changed
 * replays only the changed rows into the open index. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer/merge.h"
#include "indexer/shard.h"
#include "tests/common/test_workspace.h"

#define DIMS      32
#define SHARDS    4
#define PER_SHARD 13000 /* 52,000 in all: past VECTOR_INDEX_APPROX_THRESHOLD */

static char root[] = "/tmp/vlm-merge-index.XXXXXX";
static char dirs[SHARDS][128], out_dir[128];
static unsigned rng = 12345;

static float gauss(void)
{
    float u = ((float)(rand_r(&rng) % 100000) + 0.5f) / 100000.0f;
    float v = ((float)(rand_r(&rng) % 100000) + 0.5f) / 100000.0f;
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

static void random_unit(float *v)
{
    float n = 0;
    for (int i = 0; i < DIMS; i++) {
        v[i] = gauss();
        n += v[i] * v[i];
    }
    for (int i = 0; i < DIMS; i++) v[i] /= sqrtf(n);
}

static void put_rows(collection *c, int k, int from, int to)
{
    char err[VLM_ERR_MAX], path[64], hash[32];
    float v[DIMS];
    cr_assert_eq(collection_begin(c, err), 0, "%s", err);
    for (int i = from; i < to; i++) {
        snprintf(path, sizeof path, "/syn/%d/%06d.jpg", k, i);
        snprintf(hash, sizeof hash, "%d-%d-%u", k, i, rng);
        random_unit(v);
        collection_image_info info = {.path = path,
                                      .root = "/syn",
                                      .size = 1000 + i,
                                      .content_hash = hash,
                                      .format = "jpeg"};
        cr_assert_eq(collection_put_image(c, &info, v, DIMS, NULL, err), 0,
                     "%s", err);
    }
    cr_assert_eq(collection_commit(c, err), 0, "%s", err);
}

static void make_shard(int k)
{
    char err[VLM_ERR_MAX];
    collection_options o = {.create_if_missing = true};
    collection *c;
    snprintf(dirs[k], sizeof dirs[k], "%s/shard%d", root, k);
    cr_assert_eq(collection_open(dirs[k], &o, &c, err), 0, "%s", err);
    cr_assert_eq(
        collection_bind_model(c, "synthetic", DIMS, "synthetic-id", err), 0,
        "%s", err);
    shard_spec s = {k, SHARDS};
    cr_assert_eq(shard_record(c, &s, err), 0, "%s", err);
    put_rows(c, k, 0, PER_SHARD);
    collection_close(c);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(root));
    for (int k = 0; k < SHARDS; k++) make_shard(k);
    snprintf(out_dir, sizeof out_dir, "%s/merged", root);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(merge_index, .init = setup, .fini = teardown, .timeout = 300);

static void merge(collection *out, vector_index *vi, merge_summary *s)
{
    char err[VLM_ERR_MAX];
    const char *d[SHARDS] = {dirs[0], dirs[1], dirs[2], dirs[3]};
    cr_assert_eq(indexer_merge(out, vi, d, SHARDS, NULL, s, err), 0, "%s", err);
}

/* The index's top-10 against brute force over the stored vectors. */
static double recall_at_10(collection *c, vector_index *vi)
{
    char err[VLM_ERR_MAX];
    int64_t *ids;
    float *vecs, q[DIMS];
    size_t n;
    int dims, found = 0, total = 0;
    cr_assert_eq(collection_load_embeddings(c, &ids, &vecs, &n, &dims, err), 0,
                 "%s", err);
    float *score = malloc(n * sizeof *score);
    for (int t = 0; t < 10; t++) {
        random_unit(q);
        for (size_t i = 0; i < n; i++) {
            score[i] = 0;
            for (int j = 0; j < DIMS; j++)
                score[i] += q[j] * vecs[i * DIMS + j];
        }
        vector_hit hits[10];
        int nh = 0;
        cr_assert_eq(vector_index_search(vi, q, 10, NULL, 0, hits, &nh, err), 0,
                     "%s", err);
        cr_assert_eq(nh, 10);
        float best[10]; /* the true top-10 scores, descending */
        for (int b = 0; b < 10; b++) best[b] = -2;
        for (size_t i = 0; i < n; i++)
            for (int b = 0; b < 10; b++)
                if (score[i] > best[b]) {
                    memmove(best + b + 1, best + b, (9 - b) * sizeof *best);
                    best[b] = score[i];
                    break;
                }
        for (int h = 0; h < nh; h++) found += hits[h].score >= best[9] - 1e-5f;
        total += 10;
    }
    free(score), free(ids), free(vecs);
    return (double)found / total;
}

Test(merge_index, built_once_approximate_then_caught_up_incrementally)
{
    char err[VLM_ERR_MAX];
    collection_options o = {.create_if_missing = true};
    collection *out;
    cr_assert_eq(collection_open(out_dir, &o, &out, err), 0, "%s", err);
    merge_summary s;
    merge(out, NULL, &s);
    printf("merged %d x %d vectors in %.2f s\n", SHARDS, PER_SHARD, s.seconds);
    cr_assert_eq(s.rows.added, SHARDS * PER_SHARD);
    cr_assert_eq(s.shard_count, SHARDS);
    cr_assert_eq(s.shards_missing, 0);

    vector_index *vi;
    vector_index_info info;
    cr_assert_eq(vector_index_open(out, NULL, &vi, err), 0, "%s", err);
    vector_index_get_info(vi, &info);
    cr_assert(info.loaded_from_file && !info.rebuilt, "%s",
              info.rebuild_reason);
    cr_assert_neq(info.kind, VECTOR_INDEX_EXACT);
    cr_assert_eq(info.ntotal, SHARDS * PER_SHARD);
    double r = recall_at_10(out, vi);
    cr_assert_geq(r, 0.9, "recall@10 %.3f", r);

    /* Shard 2: 10 rows re-embedded, 5 new. */
    collection *c;
    cr_assert_eq(collection_open(dirs[2], NULL, &c, err), 0, "%s", err);
    put_rows(c, 2, 100, 110);
    put_rows(c, 2, PER_SHARD, PER_SHARD + 5);
    collection_close(c);
    merge(out, vi, &s);
    cr_assert_eq(s.rows.updated, 10);
    cr_assert_eq(s.rows.added, 5);
    cr_assert_eq(s.rows.unchanged, SHARDS * PER_SHARD - 10);
    vector_index_get_info(vi, &info);
    cr_assert(!info.rebuilt, "rebuilt: %s", info.rebuild_reason);
    cr_assert_eq(info.replayed, 15);
    cr_assert_eq(info.ntotal, SHARDS * PER_SHARD + 5);
    vector_index_close(vi);
    collection_close(out);
}
