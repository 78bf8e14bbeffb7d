/* The threaded decode pool: every job comes back exactly once whatever
 * the thread count and queue size, statuses and messages per file, the
 * content hash, the skip hook, limits, and shutdown with work pending. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer/decode_pool.h"
#include "media/media_isolation.h"
#include "tests/common/test_workspace.h"

#define MAX_JOBS 64

static const img_prep_params prep = {.shortest_edge = 16,
                                     .crop_w = 16,
                                     .crop_h = 16,
                                     .do_center_crop = 1,
                                     .mean = {0.5f, 0.5f, 0.5f},
                                     .std = {0.25f, 0.25f, 0.25f},
                                     .rescale = 1.0f / 255};

typedef struct jobs {
    int n;
    char paths[MAX_JOBS][800];
} jobs;

static void list_files(const char *dir, jobs *j)
{
    DIR *d = opendir(dir);
    if (!d) cr_skip_test("no fixtures at %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) && j->n < MAX_JOBS)
        if (e->d_name[0] != '.')
            snprintf(j->paths[j->n++], sizeof j->paths[0], "%s/%s", dir,
                     e->d_name);
    closedir(d);
}

static const char *fixtures(void)
{
    const char *fx = getenv("VLM_FIXTURES");
    if (!fx) cr_skip_test("VLM_FIXTURES unset");
    return fx;
}

/* Runs every job through a pool; results[i] is job i's (caller frees). */
static void run_pool(const jobs *j, decode_pool_options po,
                     decode_result **results)
{
    decode_pool *p;
    char err[VLM_ERR_MAX];
    po.prep = prep;
    cr_assert_eq(decode_pool_create(&po, &p, err), VLM_OK, "%s", err);
    for (int i = 0; i < j->n; i++)
        cr_assert_eq(decode_pool_submit(p, i, j->paths[i], 0, 0), VLM_OK);
    decode_pool_finish(p);
    decode_result *r;
    int got = 0;
    while ((r = decode_pool_next(p))) {
        cr_assert(r->tag >= 0 && r->tag < j->n);
        cr_assert_null(results[r->tag], "job %lld returned twice",
                       (long long)r->tag);
        cr_assert_str_eq(r->path, j->paths[r->tag]);
        results[r->tag] = r;
        got++;
    }
    cr_assert_eq(got, j->n);
    cr_assert_eq(decode_pool_pending(p), 0);
    decode_pool_destroy(p);
}

static const char *base(const char *path) { return strrchr(path, '/') + 1; }

Test(decode_pool, photos_come_back_once_each_with_pixels)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/images/photos", fixtures());
    jobs j = {0};
    list_files(dir, &j);
    decode_result *res[MAX_JOBS] = {0};
    /* 3 threads, 2 result slots: workers block on the full queue */
    run_pool(&j, (decode_pool_options){.threads = 3, .queue_cap = 2}, res);
    size_t per = 3 * 16 * 16;
    for (int i = 0; i < j.n; i++) {
        decode_result *r = res[i];
        cr_assert_eq(strlen(r->hash), 32, "%s", r->path);
        if (!strcmp(base(r->path), "not-an-image.txt")) {
            cr_assert_eq(r->status, DECODE_NOT_IMAGE);
            cr_assert_null(r->pixels);
        } else {
            cr_assert_eq(r->status, DECODE_OK, "%s: %s", r->path, r->err);
            cr_assert_gt(r->width, 0);
            cr_assert_gt(r->height, 0);
            for (size_t k = 0; k < per; k++)
                cr_assert(isfinite(r->pixels[k]) && fabsf(r->pixels[k]) <= 2.1f,
                          "%s: pixel %zu = %f", r->path, k, r->pixels[k]);
        }
        if (!strcmp(base(r->path), "duck.jp2"))
            cr_assert_str_eq(r->format, "jpeg", "sniffed, not by name");
        decode_result_free(r);
    }
}

Test(decode_pool, bad_files_fail_with_a_message_naming_them)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/images/bad", fixtures());
    jobs j = {0};
    list_files(dir, &j);
    decode_result *res[MAX_JOBS] = {0};
    run_pool(&j, (decode_pool_options){.threads = 2}, res);
    for (int i = 0; i < j.n; i++) {
        decode_result *r = res[i];
        cr_assert_eq(r->status, DECODE_FAILED, "%s decoded", r->path);
        cr_assert(strstr(r->err, base(r->path)), "%s: '%s'", r->path, r->err);
        cr_assert_null(r->pixels);
        decode_result_free(r);
    }
}

typedef struct skip_ctx {
    char hash[33];
} skip_ctx;

static int skip_this(const char *hash, void *user)
{
    return !strcmp(hash, ((skip_ctx *)user)->hash);
}

Test(decode_pool, same_bytes_same_hash_and_the_skip_hook)
{
    test_ws ws;
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    jobs j = {.n = 3};
    snprintf(j.paths[0], sizeof j.paths[0], "%s/cat.jpg", ws.photos);
    snprintf(j.paths[1], sizeof j.paths[1], "%s/cat-copy.jpg", ws.photos);
    snprintf(j.paths[2], sizeof j.paths[2], "%s/bee.jpg", ws.photos);
    cr_assert_eq(test_sh("cp '%s' '%s'", j.paths[0], j.paths[1]), 0);
    decode_result *res[MAX_JOBS] = {0};
    run_pool(&j, (decode_pool_options){.threads = 2}, res);
    cr_assert_str_eq(res[0]->hash, res[1]->hash);
    cr_assert_str_neq(res[0]->hash, res[2]->hash);

    skip_ctx sk;
    snprintf(sk.hash, sizeof sk.hash, "%s", res[0]->hash);
    for (int i = 0; i < 3; i++) decode_result_free(res[i]);
    memset(res, 0, sizeof res);
    run_pool(
        &j, (decode_pool_options){.threads = 2, .skip = skip_this, .user = &sk},
        res);
    cr_assert_eq(res[0]->status, DECODE_SKIPPED);
    cr_assert_eq(res[1]->status, DECODE_SKIPPED);
    cr_assert_null(res[0]->pixels);
    cr_assert_eq(res[2]->status, DECODE_OK);
    for (int i = 0; i < 3; i++) decode_result_free(res[i]);
    test_ws_cleanup(&ws);
}

Test(decode_pool, file_size_limit)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/images/photos", fixtures());
    jobs j = {.n = 1};
    snprintf(j.paths[0], sizeof j.paths[0], "%s/astronaut.png", dir);
    decode_result *res[MAX_JOBS] = {0};
    run_pool(&j, (decode_pool_options){.threads = 1, .max_file_bytes = 1000},
             res);
    cr_assert_eq(res[0]->status, DECODE_FAILED);
    cr_assert(strstr(res[0]->err, "limit"), "%s", res[0]->err);
    cr_assert_str_eq(res[0]->hash, "", "refused before reading");
    decode_result_free(res[0]);
}

Test(decode_pool, destroy_with_work_pending_stops_cleanly)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/images/photos", fixtures());
    jobs j = {0};
    list_files(dir, &j);
    decode_pool *p;
    char err[VLM_ERR_MAX];
    decode_pool_options po = {.threads = 2, .queue_cap = 1, .prep = prep};
    cr_assert_eq(decode_pool_create(&po, &p, err), VLM_OK, "%s", err);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < j.n; i++)
            cr_assert_eq(decode_pool_submit(p, i, j.paths[i], 0, 0), VLM_OK);
    decode_result *r = decode_pool_next(p);
    cr_assert_not_null(r);
    decode_result_free(r);
    cr_assert_eq(decode_pool_pending(p), 3 * j.n - 1);
    decode_pool_destroy(p); /* workers blocked on the full queue must exit */
}

/* A decoder that aborts (the test worker's, on "VLMTEST:abort") costs that
 * file alone: it fails with the reason, every photo around it decodes. */
Test(decode_pool, crashing_decoder_fails_one_file)
{
    media_isolation_opts mo = {.worker_path = TEST_DECODE_WORKER};
    char err[VLM_ERR_MAX];
    cr_assert_eq(media_isolation_configure(&mo, err), VLM_OK, "%s", err);
    test_ws ws;
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    jobs j = {0};
    list_files(ws.photos, &j);
    int crash = j.n / 2;
    snprintf(j.paths[j.n++], sizeof j.paths[0], "%s/crash.jpg", ws.photos);
    cr_assert_eq(test_sh("printf VLMTEST:abort > '%s'", j.paths[j.n - 1]), 0);
    /* Another one in the middle of the queue. */
    char tmp[800];
    snprintf(tmp, sizeof tmp, "%s", j.paths[crash]);
    snprintf(j.paths[crash], sizeof j.paths[0], "%s/crash2.png", ws.photos);
    snprintf(j.paths[j.n++], sizeof j.paths[0], "%s", tmp);
    cr_assert_eq(test_sh("printf VLMTEST:abort > '%s'", j.paths[crash]), 0);
    decode_result *res[MAX_JOBS] = {0};
    run_pool(&j, (decode_pool_options){.threads = 3}, res);
    int ok = 0;
    for (int i = 0; i < j.n; i++) {
        decode_result *r = res[i];
        if (strstr(r->path, "/crash")) {
            char want[900];
            snprintf(want, sizeof want, "%s: decoder crashed: SIGABRT",
                     r->path);
            cr_assert_eq(r->status, DECODE_FAILED);
            cr_assert_str_eq(r->err, want);
        } else {
            ok += r->status == DECODE_OK;
        }
        decode_result_free(r);
    }
    cr_assert_eq(ok, j.n - 3, "every photo decodes (one file is text)");
    test_ws_cleanup(&ws);
}
