/* The folder source through the real batch writer, with a fake encoder
 * (no model): what the walk, the decode pool and reuse detection decide
 * for new, unchanged, touched, moved, copied, changed and deleted files. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "indexer/source_folder.h"
#include "tests/common/test_workspace.h"
#include "tests/indexer/ingest_fakes.h"

static test_ws ws;
static collection *c;
static vector_index *vi;
static fake_encoder fe;
static indexer_summary sum;
static char err[VLM_ERR_MAX];

static void setup(void)
{
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    fake_open_collection(ws.coll, &c, &vi);
    fake_encoder_init(&fe, "fake-id");
    err[0] = 0;
}

static void teardown(void)
{
    vector_index_close(vi);
    collection_close(c);
    test_ws_cleanup(&ws);
}

TestSuite(source_folder, .init = setup, .fini = teardown);

static int add_paths(const char *const *paths, int n, const indexer_options *o)
{
    ingest_source src;
    static const indexer_options two_threads = {.decode_threads = 2};
    int rc = folder_source_create(paths, n, o ? o : &two_threads, &src, err);
    cr_assert_eq(rc, VLM_OK, "%s", err);
    rc = ingest_run(c, vi, &fe.enc, &src, o ? o : &two_threads, &sum, err);
    ingest_source_destroy(&src);
    return rc;
}

static int add_photos(void)
{
    const char *paths[] = {ws.photos};
    return add_paths(paths, 1, NULL);
}

static int64_t id_of(const char *name)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", ws.photos, name);
    collection_image row;
    return collection_find_by_path(c, path, &row, NULL) == VLM_OK ? row.id : 0;
}

Test(source_folder, first_add_then_nothing_to_do)
{
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    cr_assert_eq(sum.seen, 29);
    cr_assert_eq(sum.added, 28);
    cr_assert_eq(sum.not_images, 1);
    cr_assert_eq(sum.failed, 0);
    int calls = fe.calls;
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    cr_assert_eq(sum.unchanged, 28);
    cr_assert_eq(sum.added + sum.updated + sum.moved + sum.copied, 0);
    cr_assert_eq(fe.calls, calls, "nothing was encoded again");
    char **roots;
    size_t n;
    cr_assert_eq(collection_list_roots(c, &roots, &n, err), VLM_OK);
    cr_assert_eq(n, 1, "the folder is recorded as a root");
    collection_free_strings(roots, n);
}

Test(source_folder, touched_moved_copied_changed_deleted)
{
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    int64_t cat = id_of("cat.jpg"), bee = id_of("bee.jpg");
    cr_assert(cat && bee);
    int calls = fe.calls;
    cr_assert_eq(test_sh("cd '%s' && touch -d '2001-01-01' books.jpg && "
                         "mv cat.jpg kitten.jpg && cp bee.jpg bee2.jpg && "
                         "rm cake.jpg && cp tree.webp camera.jpg",
                         ws.photos),
                 0);
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    cr_assert_eq(sum.moved, 1);   /* cat.jpg -> kitten.jpg */
    cr_assert_eq(sum.removed, 1); /* cake.jpg */
    /* bee2.jpg, and camera.jpg which now holds tree.webp's bytes: both get
     * the stored vector of those bytes */
    cr_assert_eq(sum.copied, 2);
    /* 24 files as they were, and books.jpg touched (same bytes) */
    cr_assert_eq(sum.unchanged, 25);
    cr_assert_eq(sum.added + sum.updated, 0);
    cr_assert_eq(fe.calls, calls, "every new file had known bytes");
    cr_assert_eq(id_of("kitten.jpg"), cat, "a moved file keeps its row");
    cr_assert_eq(id_of("cat.jpg"), 0);
    cr_assert_eq(id_of("cake.jpg"), 0);
    cr_assert_neq(id_of("bee2.jpg"), bee);
}

Test(source_folder, changed_bytes_are_encoded_again)
{
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    int calls = fe.calls;
    int64_t id = id_of("bee.jpg");
    cr_assert_eq(test_sh("cd '%s' && cp '%s/images/edge/large-4000x3000.jpg' "
                         "bee.jpg",
                         ws.photos, ws.fixtures),
                 0);
    cr_assert_eq(add_photos(), VLM_OK, "%s", err);
    cr_assert_eq(sum.updated, 1);
    cr_assert_eq(fe.calls, calls + 1);
    cr_assert_eq(id_of("bee.jpg"), id, "updated in place");
}

Test(source_folder, excludes_and_a_missing_root)
{
    const char *globs[] = {"*.png", "chess*"};
    indexer_options o = {.excludes = globs, .n_excludes = 2};
    const char *paths[] = {ws.photos};
    cr_assert_eq(add_paths(paths, 1, &o), VLM_OK, "%s", err);
    cr_assert_eq(id_of("astronaut.png"), 0);
    cr_assert_eq(id_of("chess-pawns.bmp"), 0);
    cr_assert_neq(id_of("bee.jpg"), 0);

    const char *missing[] = {"/nonexistent/vlm-folder"};
    cr_assert_eq(add_paths(missing, 1, NULL), VLM_ENOTFOUND);
    cr_assert(strstr(err, "/nonexistent/vlm-folder: no such file"), "%s", err);
}

Test(source_folder, cancel_during_the_walk)
{
    volatile sig_atomic_t cancel = 1;
    indexer_options o = {.cancel = &cancel};
    const char *paths[] = {ws.photos};
    cr_assert_eq(add_paths(paths, 1, &o), VLM_EINTERRUPTED);
    cr_assert(strstr(err, "interrupted"), "%s", err);
    cr_assert_eq(fake_committed_images(ws.coll), 0);
}
