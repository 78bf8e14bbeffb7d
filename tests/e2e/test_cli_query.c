/* End-to-end: rclip-compatible queries.  http:// and file:// terms are
 * fetched (from a loopback server here) under a size limit; a query image
 * leaves itself out of its results unless --include-self; --in on a
 * missing path is an error; fused scores say so. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"
#include "tests/weights/http_test_server.h"

static e2e_ws ws;
static hts *server;
static char base[128];

static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    const char *add[] = {"add",    "-qC",     ws.coll, "-M",
                         ws.model, ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    server = hts_start(ws.photos, "/img/");
    cr_assert_not_null(server);
    snprintf(base, sizeof base, "http://127.0.0.1:%d/img", hts_port(server));
}

static void teardown(void)
{
    hts_stop(server);
    e2e_ws_cleanup(&ws);
}

TestSuite(cli_query, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run search(const char *a, const char *b, const char *c)
{
    const char *args[10] = {"-C", ws.coll, "-n", "3"};
    int n = 4;
    if (a) args[n++] = a;
    if (b) args[n++] = b;
    if (c) args[n++] = c;
    args[n] = NULL;
    return e2e_exec("vlmsearch", args);
}

/* The score and path of the first result line. */
static float first(const e2e_run *r, char *path, size_t n)
{
    float score = -2;
    cr_assert_eq(sscanf(r->out, "%f\t%1023[^\n]", &score, path), 2, "%s",
                 r->out);
    (void)n;
    return score;
}

Test(cli_query, http_url_terms_are_fetched)
{
    char url[256], path[1024];
    snprintf(url, sizeof url, "%s/cat.jpg", base);
    e2e_run r = search(url, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* The same bytes as photos/cat.jpg: that file first, cosine 1. */
    float s = first(&r, path, sizeof path);
    cr_assert_gt(s, 0.999f, "%s", r.out);
    cr_assert(strstr(path, "/photos/cat.jpg"), "%s", r.out);
    e2e_run_free(&r);
    /* Weights and operators work with URLs as with paths. */
    char weighted[300];
    snprintf(weighted, sizeof weighted, "2:%s", url);
    r = search(weighted, "-", "dog");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "/photos/cat.jpg"), "%s", r.out);
    e2e_run_free(&r);
    snprintf(url, sizeof url, "%s/nothing-here.jpg", base);
    r = search(url, NULL, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "HTTP 404"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_query, url_size_is_bounded)
{
    cr_assert_eq(e2e_sh("truncate -s 65M '%s/huge.jpg'", ws.photos), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/huge.jpg", base);
    e2e_run r = search(url, NULL, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "larger than 64 MiB"), "%s", r.err);
    e2e_run_free(&r);
    e2e_sh("rm -f '%s/huge.jpg'", ws.photos);
}

Test(cli_query, a_query_image_leaves_itself_out)
{
    char img[800], url[900], path[1024];
    snprintf(img, sizeof img, "%s/cat.jpg", ws.photos);
    snprintf(url, sizeof url, "file://%s", img);
    const char *as[] = {img, url};
    for (int i = 0; i < 2; i++) {
        e2e_run r = search(as[i], NULL, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_null(strstr(r.out, "/photos/cat.jpg\n"),
                       "%s found itself: %s", as[i], r.out);
        cr_assert_eq(e2e_count_lines(r.out), 3, "%s", r.out);
        e2e_run_free(&r);
        r = search("--include-self", as[i], NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_gt(first(&r, path, sizeof path), 0.999f, "%s", r.out);
        cr_assert(strstr(path, "/photos/cat.jpg"), "%s", r.out);
        e2e_run_free(&r);
    }
    snprintf(url, sizeof url, "file://%s/none.jpg", ws.photos);
    e2e_run r = search(url, NULL, NULL);
    cr_assert_eq(r.status, 2, "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_query, in_on_a_missing_path_is_an_error)
{
    e2e_run r = search("--in", "/nonexistent/folder", "cat");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--in: /nonexistent/folder: No such file"), "%s",
              r.err);
    e2e_run_free(&r);
    const char *cl[] = {"classify", "-C", ws.coll, "-l",           "a",
                        "-l",       "b",  "--in",  "/nonexistent", NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--in: /nonexistent"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_query, fused_scores_say_so)
{
    e2e_run r = search("--captions", "cat", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "rank-fusion values"), "%s", r.err);
    e2e_run_free(&r);
}
