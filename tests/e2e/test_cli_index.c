/* End-to-end: `vlmindex add / update / status / rm` on real photos. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;

static void setup(void) { e2e_ws_init(&ws, MODEL); }
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_index, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run vlmindex(const char *cmd, const char *a1, const char *a2)
{
    const char *args[] = {
        cmd, "--collection", ws.coll, "--model", ws.model, a1, a2, NULL};
    return e2e_exec("vlmindex", args);
}

static int64_t row_id(const char *path)
{
    collection *c;
    collection_image *row = malloc(sizeof *row);
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    int64_t id =
        collection_find_by_path(c, path, row, NULL) == VLM_OK ? row->id : 0;
    collection_close(c);
    free(row);
    return id;
}

static collection_counts counts(void) { return e2e_counts(ws.coll); }

Test(cli_index, add_reports_summary_and_second_add_embeds_nothing)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "add failed: %s", r.err);
    /* 28 images + one text file (skipped silently as not an image). */
    cr_assert(strstr(r.out, "added 28,"), "summary: %s", r.out);
    cr_assert(strstr(r.out, "failed 0"), "summary: %s", r.out);
    e2e_run_free(&r);
    collection_counts k = counts();
    cr_assert_eq(k.embeddings, 28);

    r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "added 0, updated 0, unchanged 28"),
              "second add: %s", r.out);
    e2e_run_free(&r);
}

Test(cli_index, bad_files_are_reported_and_run_succeeds)
{
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/images/bad", ws.fixtures);
    e2e_run r = vlmindex("add", bad, NULL);
    cr_assert_eq(r.status, 0, "add of bad/ must still succeed: %s", r.err);
    cr_assert(strstr(r.out, "failed 9"), "summary: %s", r.out);
    /* Every file is named with a reason on stderr. */
    const char *names[] = {"bomb-100000x100000.png", "bomb-65000x65000.jpg",
                           "corrupt-scan.jpg",       "empty.jpg",
                           "header-only.jpg",        "png-truncated.png",
                           "random-bytes.jpg",       "text-named.jpg",
                           "truncated-half.jpg"};
    for (int i = 0; i < 9; i++)
        cr_assert(strstr(r.err, names[i]), "%s not reported:\n%s", names[i],
                  r.err);
    e2e_run_free(&r);

    const char *args[] = {"status", "--collection", ws.coll, "--failed", NULL};
    r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(e2e_count_lines(r.out), 9, "status --failed:\n%s", r.out);
    for (int i = 0; i < 9; i++) cr_assert(strstr(r.out, names[i]));
    e2e_run_free(&r);
}

Test(cli_index, moved_file_keeps_its_row_and_vector)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char from[1024], to[1024];
    snprintf(from, sizeof from, "%s/cat.jpg", ws.photos);
    snprintf(to, sizeof to, "%s/sub/renamed-cat.jpg", ws.photos);
    int64_t id = row_id(from);
    cr_assert_gt(id, 0);
    cr_assert_eq(
        e2e_sh("mkdir -p '%s/sub' && mv '%s' '%s'", ws.photos, from, to), 0);

    r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "added 0,"), "%s", r.out);
    cr_assert(strstr(r.out, "moved 1,"), "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(row_id(to), id, "the moved file must keep its row");
    cr_assert_eq(row_id(from), 0, "the old path must be gone");
    cr_assert_eq(counts().embeddings, 28);
}

Test(cli_index, deleted_file_disappears_on_update)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char victim[1024];
    snprintf(victim, sizeof victim, "%s/bee.jpg", ws.photos);
    cr_assert_gt(row_id(victim), 0);
    cr_assert_eq(unlink(victim), 0);

    r = vlmindex("update", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "removed 1"), "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(row_id(victim), 0);
    cr_assert_eq(counts().embeddings, 27);
}

Test(cli_index, rm_forgets_a_subtree_and_status_reports)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    r = vlmindex("rm", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "removed 28"), "%s", r.out);
    e2e_run_free(&r);
    cr_assert_eq(counts().embeddings, 0);
    struct stat st;
    char kept[1024];
    snprintf(kept, sizeof kept, "%s/cat.jpg", ws.photos);
    cr_assert_eq(stat(kept, &st), 0, "rm must never touch files on disk");

    const char *args[] = {"status", "--collection", ws.coll, NULL};
    r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "0 indexed"), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_index, other_model_is_refused)
{
    e2e_run r = vlmindex("add", ws.photos, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char other[1024];
    snprintf(other, sizeof other, "%s/other-model", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && ln -s '%s/clip-tiny-gelu-f16'/* "
                        "'%s/tokenizer-clip/vocab.json' "
                        "'%s/tokenizer-clip/merges.txt' '%s/'",
                        other, ws.fixtures, ws.fixtures, ws.fixtures, other),
                 0);
    const char *args[] = {"add", "--collection", ws.coll, "--model",
                          other, ws.photos,      NULL};
    r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--collection") || strstr(r.err, "reset"),
              "the message must say what to do: %s", r.err);
    e2e_run_free(&r);
}

Test(cli_index, missing_collection_is_a_clear_error)
{
    const char *args[] = {"status", "--collection", "/nonexistent/vlm-coll",
                          NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "/nonexistent/vlm-coll"), "%s", r.err);
    e2e_run_free(&r);
}
