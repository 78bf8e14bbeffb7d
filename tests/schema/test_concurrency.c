/* WAL concurrency: a reader in another process works while a writer holds
 * an open batch transaction (the `vlmsearch` during `vlmindex add` case). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 16

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Child: open its own connection, read and search; exit code = failure
 * step (0 = all good).  Must finish long before the busy timeout. */
static int reader_child(const char *dir, const float *query, int64_t expect_top)
{
    char err[VLM_ERR_MAX];
    collection *c = NULL;
    collection_options o = {.busy_timeout_ms = 2000};
    double t0 = now_s();
    if (collection_open(dir, &o, &c, err) != VLM_OK) return 1;
    collection_counts k;
    if (collection_get_counts(c, &k, err) != VLM_OK || k.images != 50)
        return 2; /* the 10 uncommitted rows must be invisible */
    collection_image row;
    if (collection_find_by_path(c, "/w/img0.jpg", &row, err) != VLM_OK)
        return 3;
    vector_index *vi = NULL;
    if (vector_index_open(c, NULL, &vi, err) != VLM_OK) return 4;
    vector_hit hits[3];
    int n = 0;
    if (vector_index_search(vi, query, 3, NULL, 0, hits, &n, err) != VLM_OK ||
        n != 3 || hits[0].id != expect_top)
        return 5;
    vector_index_close(vi);
    collection_close(c);
    return now_s() - t0 < 1.5 ? 0 : 6; /* not waiting on the writer */
}

Test(concurrency, reader_works_while_writer_holds_a_batch)
{
    char *dir = scratch_dir();
    char err[VLM_ERR_MAX];
    float *v = random_unit_vectors(60, DIMS, 11);
    collection *c = open_test_collection(dir, DIMS);
    int64_t ids[50];
    add_test_images(c, "/w", v, 50, DIMS, ids);

    /* open batch with 10 more rows, not committed */
    cr_assert_eq(collection_begin(c, err), VLM_OK, "%s", err);
    for (int i = 0; i < 10; i++) {
        char path[64];
        snprintf(path, sizeof path, "/w/new%d.jpg", i);
        collection_image_info info = {.path = path};
        cr_assert_eq(collection_put_image(c, &info, v + (50 + i) * DIMS, DIMS,
                                          NULL, err),
                     VLM_OK, "%s", err);
    }
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) _exit(reader_child(dir, v + 7 * DIMS, ids[7]));
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), 0, "reader failed at step %d",
                 WEXITSTATUS(status));
    cr_assert_eq(collection_commit(c, err), VLM_OK, "%s", err);
    collection_counts k;
    collection_get_counts(c, &k, err);
    cr_assert_eq(k.images, 60);
    collection_close(c);
    free(v);
    scratch_remove(dir);
}
