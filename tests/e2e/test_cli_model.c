/* End-to-end: `vlmindex model pull/list`, and the first `vlmindex add` on a
 * machine with no model, against a local HTTP server in the hub's URL
 * layout (the real hub is unreachable here). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/e2e/e2e_util.h"
#include "tests/weights/http_test_server.h"

#define MODEL "clip-tiny-quickgelu-f32"
#define REPO  "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"

static e2e_ws ws;
static hts *server;
static char xdg[700];

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    server = hts_start(ws.model, "/" REPO "/resolve/main/");
    cr_assert_not_null(server);
    hts_knobs k = {.send_sha256 = 1};
    hts_set_knobs(server, &k);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d",
             hts_port(server));
    snprintf(xdg, sizeof xdg, "%s/xdg", ws.root);
    setenv("HF_ENDPOINT", endpoint, 1);
    setenv("XDG_DATA_HOME", xdg, 1);
    unsetenv("VLMINDEX_COLLECTION");
    unsetenv("VLMINDEX_OFFLINE");
    unsetenv("VLMINDEX_MODEL");
}

static void teardown(void)
{
    hts_stop(server);
    e2e_ws_cleanup(&ws);
}

TestSuite(cli_model, .init = setup, .fini = teardown, .timeout = 120);

Test(cli_model, pull_then_list)
{
    const char *pull[] = {"model", "pull", REPO, NULL};
    e2e_run r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "%s/vlmindex/models/laion--CLIP-ViT-B-32-laion2B-s34B-b79K/"
             "model.safetensors",
             xdg);
    struct stat st;
    cr_assert_eq(stat(cfg, &st), 0, "installed at %s", cfg);
    e2e_run_free(&r);

    const char *list[] = {"model", "list", NULL};
    r = e2e_exec("vlmindex", list);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, REPO), "%s", r.out);
    e2e_run_free(&r);

    /* A second pull finds everything in place. */
    int before = hts_requests(server);
    r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_lt(hts_requests(server) - before, 8,
                 "required files are not fetched again");
    e2e_run_free(&r);
}

Test(cli_model, offline_first_add_names_model_dir)
{
    const char *add[] = {"add", "--offline", ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--model DIR"), "%s", r.err);
    cr_assert_eq(hts_requests(server), 0, "offline means no network access");
    e2e_run_free(&r);
}

Test(cli_model, first_add_fetches_the_default_model_then_search_works)
{
    const char *add[] = {"add", ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, REPO), "announces which model it fetches: %s",
              r.err);
    cr_assert(strstr(r.out, "added 28,"), "%s", r.out);
    e2e_run_free(&r);

    const char *q[] = {"-n", "2", "a cat",
                       NULL}; /* default collection and its model */
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2);
    e2e_run_free(&r);
}

/* Downloads show MB so far, MB/s and an ETA, redrawn while they run. */
Test(cli_model, download_progress_has_units_and_rate)
{
    hts_knobs k = {.send_sha256 = 1, .bytes_per_s = 12 * 1000 * 1000};
    hts_set_knobs(server, &k);
    const char *pull[] = {"model", "pull", REPO, "--progress=tty", NULL};
    e2e_run r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* model.safetensors is 15.6 MB: about 1.3 s at 12 MB/s. */
    cr_assert(strstr(r.err, "/15.6 MB"), "%s", r.err);
    cr_assert(strstr(r.err, " MB/s"), "%s", r.err);
    cr_assert(strstr(r.err, "ETA 0:0"), "%s", r.err);
    cr_assert(strstr(r.err, "downloading"), "%s", r.err);
    cr_assert(strstr(r.err, "model.safetensors"), "%s", r.err);
    e2e_run_free(&r);
}
