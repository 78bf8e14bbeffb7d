/* The batch writer (indexer/ingest.h) with a scripted source and a fake
 * encoder: batching, commit boundaries, flush requests, per-item failures,
 * cancel, encoder failure, reuse (move / copy / retry), deletes, progress,
 * the model binding and vectors normalised once. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/indexer/ingest_fakes.h"
#include "tests/schema/schema_test_util.h"

static char *dir;
static collection *c;
static vector_index *vi;
static fake_encoder fe;
static fake_source fs;
static indexer_summary sum;
static char err[VLM_ERR_MAX];

static void setup(void)
{
    dir = scratch_dir();
    fake_open_collection(dir, &c, &vi);
    fake_encoder_init(&fe, "fake-id");
    fake_source_init(&fs);
    err[0] = 0;
}

static void teardown(void)
{
    vector_index_close(vi);
    collection_close(c);
    scratch_remove(dir);
}

TestSuite(ingest, .init = setup, .fini = teardown);

static int run(const indexer_options *o)
{
    ingest_source src = fake_source_as_source(&fs);
    return ingest_run(c, vi, &fe.enc, &src, o, &sum, err);
}

static void add_embeds(int n)
{
    for (int i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "/fake/%03d.jpg", i);
        fake_add_embed(&fs, path, (float)i);
    }
}

Test(ingest, batches_of_batch_size_one_transaction_each)
{
    add_embeds(10);
    indexer_options o = {.batch_size = 4};
    cr_assert_eq(run(&o), VLM_OK, "%s", err);
    cr_assert_eq(fe.calls, 3);
    cr_assert_eq(fe.sizes[0], 4);
    cr_assert_eq(fe.sizes[1], 4);
    cr_assert_eq(fe.sizes[2], 2);
    /* Commits happen at batch boundaries: nothing is visible to the source
     * until a batch is full, then exactly that batch. */
    int64_t expect[] = {0, 0, 0, 0, 4, 4, 4, 4, 8, 8};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(fs.committed_at[i], expect[i], "step %d: %lld", i,
                     (long long)fs.committed_at[i]);
    cr_assert_eq(sum.added, 10);
    cr_assert_eq(fs.released, 10, "every item is released once");
    cr_assert_eq(fake_committed_images(dir), 10);
    vector_index_info info;
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.ntotal, 10, "the index follows every commit");
}

Test(ingest, vectors_are_normalised_once_and_stored)
{
    fake_add_embed(&fs, "/fake/a.jpg", 2.0f); /* encoder gives (3, ..., 3) */
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, "/fake/a.jpg", &row, err), VLM_OK);
    float v[FAKE_DIMS];
    cr_assert_eq(collection_get_embedding(c, row.id, v, FAKE_DIMS, err),
                 VLM_OK);
    for (int d = 0; d < FAKE_DIMS; d++)
        cr_assert_float_eq(v[d], 1.0f / sqrtf(FAKE_DIMS), 1e-6);
    cr_assert_str_eq(row.format, "fake");
}

Test(ingest, flush_request_commits_a_partial_batch)
{
    add_embeds(3);
    fake_add(&fs, FAKE_FLUSH, NULL);
    fake_add_embed(&fs, "/fake/late.jpg", 1.0f);
    indexer_options o = {.batch_size = 16};
    cr_assert_eq(run(&o), VLM_OK, "%s", err);
    cr_assert_eq(fs.committed_at[4], 3, "the flush committed the first 3");
    cr_assert_eq(fe.calls, 2);
    cr_assert_eq(sum.added, 4);
}

static int failures_seen;
static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user;
    cr_assert_str_eq(path, "/fake/bad.jpg");
    cr_assert(strstr(reason, "broken"), "%s", reason);
    failures_seen++;
}

Test(ingest, a_failed_item_is_recorded_and_the_run_goes_on)
{
    add_embeds(2);
    fake_add(&fs, INGEST_FAIL, "/fake/bad.jpg");
    fake_add(&fs, INGEST_NOT_IMAGE, "/fake/notes.txt");
    fake_add_embed(&fs, "/fake/last.jpg", 9.0f);
    indexer_options o = {.on_failure = on_failure};
    failures_seen = 0;
    cr_assert_eq(run(&o), VLM_OK, "%s", err);
    cr_assert_eq(failures_seen, 1);
    cr_assert_eq(sum.failed, 1);
    cr_assert_eq(sum.not_images, 1);
    cr_assert_eq(sum.added, 3);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, "/fake/bad.jpg", &row, err),
                 VLM_OK);
    cr_assert_eq(row.status, COLLECTION_STATUS_FAILED);
    cr_assert(strstr(row.error, "broken"), "%s", row.error);
    cr_assert_eq(collection_find_by_path(c, "/fake/notes.txt", &row, err),
                 VLM_ENOTFOUND, "a non-image leaves no row");
}

Test(ingest, cancel_keeps_committed_batches_only)
{
    volatile sig_atomic_t cancel = 0;
    add_embeds(10);
    fs.cancel = &cancel;
    fs.cancel_at = 5; /* set while the 6th item is yielded */
    indexer_options o = {.batch_size = 4, .cancel = &cancel};
    cr_assert_eq(run(&o), VLM_EINTERRUPTED);
    cr_assert(strstr(err, "interrupted"), "%s", err);
    cr_assert_eq(fake_committed_images(dir), 4, "the open batch is dropped");
    cr_assert_eq(fs.released, fs.next, "items in flight are released");
    /* a re-run with the same items finishes the job */
    fs.next = 0;
    fs.cancel_at = FAKE_CANCEL_AT_NONE;
    cancel = 0;
    cr_assert_eq(run(&o), VLM_OK, "%s", err);
    cr_assert_eq(fake_committed_images(dir), 10);
}

Test(ingest, encoder_failure_rolls_the_batch_back)
{
    add_embeds(6);
    fe.fail_on_call = 2;
    indexer_options o = {.batch_size = 3};
    cr_assert_eq(run(&o), VLM_EIO);
    cr_assert(strstr(err, "on purpose"), "%s", err);
    cr_assert_eq(fake_committed_images(dir), 3);
    cr_assert_eq(fs.released, 6);
}

Test(ingest, another_model_is_refused_before_the_source_starts)
{
    fake_encoder other;
    fake_encoder_init(&other, "other-id");
    add_embeds(1);
    ingest_source src = fake_source_as_source(&fs);
    cr_assert_eq(ingest_run(c, vi, &other.enc, &src, NULL, &sum, err),
                 VLM_EMISMATCH);
    cr_assert_eq(fs.started, 0);
    cr_assert(strstr(err, "vlmindex reset"), "%s", err);
}

/* A scratch file that exists, as a path short enough for a fake step. */
static void real_file(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
    cr_assert_lt(strlen(out), sizeof fs.steps[0].path, "scratch path too long");
    FILE *f = fopen(out, "w");
    cr_assert_not_null(f);
    fclose(f);
}

static fake_step *add_step(int kind, const char *path, const char *hash)
{
    fake_step *st = kind == INGEST_EMBED ? fake_add_embed(&fs, path, 3.0f)
                                         : fake_add(&fs, kind, path);
    snprintf(st->hash, sizeof st->hash, "%s", hash);
    return st;
}

/* Two rows of the same bytes: a touched file (same path) keeps its vector,
 * a duplicate copies it (the original's file still exists: no move). */
Test(ingest, reuse_copies_a_stored_vector)
{
    char a_path[700], copy_path[700];
    real_file("a.jpg", a_path, sizeof a_path);
    real_file("copy.jpg", copy_path, sizeof copy_path);
    add_step(INGEST_EMBED, a_path, "h-a");
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, a_path, &row, err), VLM_OK);
    int64_t id_a = row.id;

    fake_source_init(&fs);
    add_step(INGEST_REUSE, a_path, "h-a")->existing_id = id_a;
    add_step(INGEST_REUSE, copy_path, "h-a");
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    cr_assert_eq(sum.unchanged, 1);
    cr_assert_eq(sum.copied, 1);
    cr_assert_eq(sum.moved, 0);
    cr_assert_eq(fe.calls, 1, "reuse encodes nothing");
    float a[FAKE_DIMS], b[FAKE_DIMS];
    cr_assert_eq(collection_find_by_path(c, copy_path, &row, err), VLM_OK);
    cr_assert_neq(row.id, id_a);
    cr_assert_eq(collection_get_embedding(c, row.id, b, FAKE_DIMS, err),
                 VLM_OK);
    cr_assert_eq(collection_get_embedding(c, id_a, a, FAKE_DIMS, err), VLM_OK);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
}

/* A new path whose bytes belong to a row whose file vanished: that row is
 * renamed (same id, same vector). */
Test(ingest, reuse_moves_a_row_whose_file_vanished)
{
    char gone[700], there[700];
    real_file("there.jpg", there, sizeof there);
    snprintf(gone, sizeof gone, "%s/gone.jpg", dir); /* never created */
    add_step(INGEST_EMBED, there, "h-m");
    cr_assert_eq(run(NULL), VLM_OK, "%s", err); /* a row whose file exists */
    collection_image_info info = {.path = gone, .content_hash = "h-m"};
    float v[FAKE_DIMS] = {1};
    int64_t id_gone;
    cr_assert_eq(collection_put_image(c, &info, v, FAKE_DIMS, &id_gone, err),
                 VLM_OK);

    fake_source_init(&fs);
    add_step(INGEST_REUSE, "/fake/moved.jpg", "h-m");
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    cr_assert_eq(sum.moved, 1);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, "/fake/moved.jpg", &row, err),
                 VLM_OK);
    cr_assert_eq(row.id, id_gone, "the vanished row moved, not the live one");
    cr_assert_eq(collection_find_by_path(c, gone, &row, err), VLM_ENOTFOUND);
}

Test(ingest, reuse_without_a_row_goes_back_to_the_source)
{
    add_step(INGEST_REUSE, "/fake/lost.jpg", "h-nowhere");
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    cr_assert_eq(fs.retried, 1);
    cr_assert_eq(sum.added, 1, "yielded again after the end, and embedded");
    cr_assert_eq(fs.released, 1, "the retried item is the source's again");
}

Test(ingest, deletes_and_progress)
{
    float *v = random_unit_vectors(3, FAKE_DIMS, 7);
    int64_t ids[3];
    add_test_images(c, "/old", v, 3, FAKE_DIMS, ids);
    free(v);
    add_embeds(2);
    fake_add(&fs, INGEST_DELETE, NULL)->delete_id = ids[0];
    fake_add(&fs, INGEST_DELETE, NULL)->delete_id = ids[2];
    fake_add(&fs, INGEST_DELETE, NULL)->delete_id = 999999; /* gone already */
    cr_assert_eq(run(NULL), VLM_OK, "%s", err);
    cr_assert_eq(sum.removed, 2);
    cr_assert_eq(fake_committed_images(dir), 3);
}

typedef struct progress_log {
    int n; /* commits: reports whose done count moved */
    int64_t done[8], total[8];
    int phases[3];  /* reports per phase */
    int before_one; /* reports before the first commit */
} progress_log;

static void on_progress(void *user, const indexer_progress *p)
{
    progress_log *l = user;
    l->phases[p->phase]++;
    if (l->n == 0 && p->done == 0) l->before_one++;
    if (p->done == (l->n ? l->done[(l->n - 1) % 8] : 0)) return;
    if (l->n < 8) {
        l->done[l->n] = p->done;
        l->total[l->n] = p->total;
    }
    l->n++;
}

Test(ingest, progress_counts_committed_items)
{
    add_embeds(5);
    for (int i = 0; i < 300; i++) fake_add(&fs, INGEST_NOT_IMAGE, "/fake/x");
    progress_log log = {0};
    indexer_options o = {
        .batch_size = 2, .on_progress = on_progress, .user = &log};
    cr_assert_eq(run(&o), VLM_OK, "%s", err);
    cr_assert_eq(log.done[0], 2);
    cr_assert_eq(log.done[1], 4);
    cr_assert_eq(log.total[0], 305);
    /* 1 image + 255 non-images fill a 256-item flush; the rest at the end */
    cr_assert_eq(log.done[2], 260);
    cr_assert_eq(log.done[3], 305);
    cr_assert_eq(log.n, 4);
    cr_assert_eq(sum.not_images, 300);
    /* Before anything is committed: the start, the first item decoded and
     * the first batch going to the encoder. */
    cr_assert_eq(log.phases[INDEXER_SCANNING], 1);
    cr_assert_geq(log.before_one, 3);
    cr_assert_eq(log.phases[INDEXER_ENCODING], 3); /* 3 batches with images */
    cr_assert_geq(log.phases[INDEXER_DECODING], 305);
}
