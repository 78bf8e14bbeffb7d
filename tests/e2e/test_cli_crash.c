/* End-to-end: `kill -9` during `vlmindex add`, and searching while an add
 * runs.  The collection must stay consistent and a re-run must finish the
 * job with exactly one row per file. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/vector_index.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"
#define N_BIG 24

static e2e_ws ws;
static char big[700];

/* N_BIG distinct 4000x3000 JPEGs (a unique trailer after EOI changes the
 * content hash without changing the picture) plus the photos. */
static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    snprintf(big, sizeof big, "%s/big", ws.root);
    cr_assert_eq(
        e2e_sh(
            "mkdir -p '%s' && cp -r '%s'/* '%s/' && for i in $(seq 1 %d); do "
            "{ cat '%s/images/edge/large-4000x3000.jpg'; echo \"copy $i\"; } > "
            "'%s'/large-$i.jpg; done",
            big, ws.photos, big, N_BIG, ws.fixtures, big),
        0);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_crash, .init = setup, .fini = teardown, .timeout = 300);

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void check_consistent(int64_t expect_rows)
{
    collection *c;
    vector_index *vi;
    collection_counts k;
    vector_index_info info;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_counts(c, &k, err), 0, "%s", err);
    cr_assert_eq(k.images, expect_rows, "one row per file: %lld rows",
                 (long long)k.images);
    cr_assert_eq(k.embeddings, expect_rows);
    cr_assert_eq(vector_index_open(c, NULL, &vi, err), 0, "%s", err);
    vector_index_get_info(vi, &info);
    cr_assert_eq(info.ntotal, k.embeddings,
                 "vector index holds every embedding");
    cr_assert_eq(info.generation, k.generation);
    vector_index_close(vi);
    collection_close(c);
}

Test(cli_crash, kill_9_during_add_then_rerun_completes)
{
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, "--batch",      "4",     big,
                          NULL};
    const int delays[] = {150, 400, 900};
    for (int i = 0; i < 3; i++) {
        int pid = e2e_spawn("vlmindex", args);
        cr_assert_gt(pid, 0);
        sleep_ms(delays[i]);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
    }
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "re-run after kill -9 failed: %s", r.err);
    e2e_run_free(&r);
    check_consistent(28 + N_BIG);

    r = e2e_exec("vlmindex", args);
    cr_assert(strstr(r.out, "added 0, updated 0"), "nothing left to do: %s",
              r.out);
    e2e_run_free(&r);
}

Test(cli_crash, ctrl_c_stops_cleanly_and_is_resumable)
{
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, "--batch",      "4",     big,
                          NULL};
    int pid = e2e_spawn("vlmindex", args);
    /* The handler is installed before the collection folder is made: wait
     * for the folder, since a slow start (qemu, a loaded CI machine) can
     * take longer than the delay, and SIGINT before main() kills. */
    struct stat sb;
    for (int i = 0; i < 6000 && stat(ws.coll, &sb) != 0; i++) sleep_ms(10);
    sleep_ms(300);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && (WEXITSTATUS(st) == 130 || WEXITSTATUS(st) == 0),
              "Ctrl-C exits 130 (or 0 if it had finished)");
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    check_consistent(28 + N_BIG);
}

Test(cli_crash, search_while_add_runs)
{
    const char *first[] = {"add",    "--collection", ws.coll, "--model",
                           ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", first);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);

    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, "--batch",      "4",     big,
                          NULL};
    int pid = e2e_spawn("vlmindex", args), st = 0, searches = 0;
    const char *q[] = {"--collection", ws.coll, "--model", ws.model,
                       "-n",           "3",     "a cat",   NULL};
    while (waitpid(pid, &st, WNOHANG) == 0 || searches == 0) {
        r = e2e_exec("vlmsearch", q);
        cr_assert_eq(r.status, 0, "search during add failed (%d): %s", r.status,
                     r.err);
        cr_assert_eq(e2e_count_lines(r.out), 3);
        e2e_run_free(&r);
        searches++;
    }
    if (searches && !WIFEXITED(st)) waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the add itself must succeed");
    cr_assert_gt(searches, 0);
}
