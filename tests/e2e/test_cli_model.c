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

/* --chinese fetches Chinese-CLIP from the revision that has safetensors;
 * list names each model's family; no NAME means the default. */
Test(cli_model, pull_chinese_and_default_then_list_families)
{
    char zh[800];
    snprintf(zh, sizeof zh, "%s/zh", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && ln -s '%s/chinese-clip-tiny'/* '%s/'",
                        zh, ws.fixtures, zh),
                 0);
    hts *hub = hts_start(zh, "/OFA-Sys/chinese-clip-vit-base-patch16/resolve/"
                             "refs%2Fpr%2F1/");
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", hts_port(hub));
    setenv("HF_ENDPOINT", endpoint, 1);
    const char *chinese[] = {"model", "pull", "--chinese", NULL};
    e2e_run r = e2e_exec("vlmindex", chinese);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    hts_stop(hub);

    const char *both[] = {"model", "pull", "--siglip", "--chinese", NULL};
    r = e2e_exec("vlmindex", both);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "one of NAME"), "%s", r.err);
    e2e_run_free(&r);

    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d",
             hts_port(server));
    setenv("HF_ENDPOINT", endpoint, 1);
    const char *dflt[] = {"model", "pull", NULL};
    r = e2e_exec("vlmindex", dflt);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "laion--CLIP-ViT-B-32"), "%s", r.out);
    e2e_run_free(&r);

    const char *list[] = {"model", "list", NULL};
    r = e2e_exec("vlmindex", list);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "OFA-Sys/chinese-clip-vit-base-patch16\t"
                            "chinese_clip\t"),
              "%s", r.out);
    cr_assert(strstr(r.out, REPO "\tclip\t"), "%s", r.out);
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
    /* Wide enough that the name always fits beside the rate (at 80 columns
     * it is dropped when the rate reads 10.0 MB/s or more). */
    setenv("COLUMNS", "100", 1);
    const char *pull[] = {"model", "pull", REPO, "--progress=tty", NULL};
    e2e_run r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* model.safetensors is 15.6 MB: about 1.3 s at 12 MB/s. */
    cr_assert(strstr(r.err, "/15.6 MB"), "%s", r.err);
    cr_assert(strstr(r.err, " MB/s"), "%s", r.err);
    cr_assert(strstr(r.err, "ETA 0:0"), "%s", r.err);
    cr_assert(strstr(r.err, "downloading"), "%s", r.err);
    cr_assert(strstr(r.err, "tensors"), "%s", r.err); /* the name, shortened */
    e2e_run_free(&r);
}

static void models_path(char *out, size_t n, const char *leaf)
{
    snprintf(out, n, "%s/vlmindex/models/%s", xdg, leaf);
}

/* A download that fails leaves nothing that looks installed; the next one
 * resumes and installs. */
Test(cli_model, failed_first_download_leaves_no_half_folder)
{
    hts_knobs k = {.send_sha256 = 1, .cut_after = 200000};
    hts_set_knobs(server, &k);
    const char *pull[] = {"model", "pull", REPO, NULL};
    e2e_run r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 2, "a cut download must fail: %s", r.err);
    e2e_run_free(&r);
    char final[1024], partial[1024];
    models_path(final, sizeof final, "laion--CLIP-ViT-B-32-laion2B-s34B-b79K");
    models_path(partial, sizeof partial,
                ".laion--CLIP-ViT-B-32-laion2B-s34B-b79K.partial");
    struct stat st;
    cr_assert_neq(stat(final, &st), 0, "a half folder looks installed");
    cr_assert_eq(stat(partial, &st), 0, "the parts to resume from are gone");
    /* Nothing installed: list explains, offline says why. */
    const char *list[] = {"model", "list", NULL};
    r = e2e_exec("vlmindex", list);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "no models installed in "), "%s", r.err);
    cr_assert(strstr(r.err, "vlmindex model pull " REPO), "%s", r.err);
    e2e_run_free(&r);
    const char *add[] = {"add", "--offline", ws.photos, NULL};
    r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "no model installed"), "%s", r.err);
    cr_assert_null(strstr(r.err, "config.json"), "%s", r.err);
    e2e_run_free(&r);
    /* The next pull finishes the job and renames the folder. */
    k.cut_after = 0;
    hts_set_knobs(server, &k);
    r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(stat(final, &st), 0);
    cr_assert_neq(stat(partial, &st), 0, "the partial folder stayed");
}

/* After its model folder moved, a collection's advice names its own model,
 * never the default (which it would refuse). */
Test(cli_model, moved_model_folder_advice_names_the_collections_model)
{
    char coll[800], moved[800], model[800];
    snprintf(coll, sizeof coll, "%s/c1", ws.root);
    /* ws.model is what the hub server serves: move a copy of it. */
    cr_assert_eq(e2e_sh("cp -rL '%s' '%s/m'", ws.model, ws.root), 0);
    snprintf(model, sizeof model, "%s/m", ws.root);
    const char *add[] = {"add", "-qC", coll, "-M", model, ws.photos, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    snprintf(moved, sizeof moved, "%s/moved", ws.root);
    cr_assert_eq(rename(model, moved), 0);
    const char *q[] = {"-C", coll, "cat", NULL};
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "the collection was built with m (its folder "),
              "%s", r.err);
    cr_assert(strstr(r.err, "is gone): pass --model DIR"), "%s", r.err);
    cr_assert_null(strstr(r.err, REPO), "advises the default: %s", r.err);
    e2e_run_free(&r);
    /* An installed hub model: the advice is the pull that brings it back. */
    const char *pull[] = {"model", "pull", REPO, NULL};
    r = e2e_exec("vlmindex", pull);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    snprintf(coll, sizeof coll, "%s/c2", ws.root);
    const char *add2[] = {"add", "-qC", coll, "-M", REPO, ws.photos, NULL};
    r = e2e_exec("vlmindex", add2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char inst[1024];
    models_path(inst, sizeof inst, "laion--CLIP-ViT-B-32-laion2B-s34B-b79K");
    snprintf(moved, sizeof moved, "%s/moved2", ws.root);
    cr_assert_eq(rename(inst, moved), 0);
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "`vlmindex model pull " REPO "`"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_model, caption_without_a_model_points_to_llava)
{
    const char *cap[] = {"caption", "--image", "x.jpg", NULL};
    e2e_run r = e2e_exec("vlmindex", cap);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "captions need a LLaVA checkpoint"), "%s", r.err);
    cr_assert(strstr(r.err, "model pull llava-hf/"), "%s", r.err);
    e2e_run_free(&r);
}
