/*
 * Hub downloads against a local HTTP server (http_test_server.c) serving a
 * fixture model folder in the hub's /{repo}/resolve/{rev}/{file} layout.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_test_server.h"
#include "model/weights/hub_download.h"
#include "st_test_util.h"

#define REPO "org/tiny-clip"

static char *tmp, *repo_dir, *dest;
static hts *server;
static char endpoint[64];

static void link_fixture(const char *rel, const char *name)
{
    char *src = stt_fixture(rel);
    char *dst = stt_join(repo_dir, name);
    if (symlink(src, dst) != 0) abort();
    free(src);
    free(dst);
}

static void setup(void)
{
    unsetenv("HF_HUB_OFFLINE");
    tmp = stt_tempdir();
    repo_dir = stt_join(tmp, "repo");
    dest = stt_join(tmp, "dest");
    mkdir(repo_dir, 0755);
    server = hts_start(repo_dir, "/" REPO "/resolve/main/");
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d",
             hts_port(server));
    char *fx = stt_fixture("");
    if (!fx) return; /* tests skip */
    free(fx);
    link_fixture("clip-tiny-quickgelu-f32/config.json", "config.json");
    link_fixture("clip-tiny-quickgelu-f32/preprocessor_config.json",
                 "preprocessor_config.json");
    link_fixture("clip-tiny-quickgelu-f32/model.safetensors",
                 "model.safetensors");
    link_fixture("tokenizer-clip/vocab.json", "vocab.json");
    link_fixture("tokenizer-clip/merges.txt", "merges.txt");
}

static void teardown(void)
{
    hts_stop(server);
    stt_rmtree(tmp);
    free(tmp);
    free(repo_dir);
    free(dest);
}

TestSuite(hub, .init = setup, .fini = teardown, .timeout = 30);

#define SKIP_WITHOUT_FIXTURES()                                          \
    do {                                                                 \
        char *fx_ = stt_fixture("");                                     \
        if (!fx_) cr_skip_test("fixtures not found (set VLM_FIXTURES)"); \
        free(fx_);                                                       \
    } while (0)

typedef struct progress_log {
    int calls;
    uint64_t last_done, last_total;
    int cancel_after;
} progress_log;

static int on_progress(void *user, uint64_t done, uint64_t total,
                       const char *file)
{
    progress_log *p = user;
    if (strcmp(file, "model.safetensors") == 0) {
        p->calls++;
        p->last_done = done;
        p->last_total = total;
    }
    return p->cancel_after && p->calls >= p->cancel_after;
}

static hub_options options(progress_log *log)
{
    hub_options o = {.endpoint = endpoint,
                     .token = "",
                     .progress = on_progress,
                     .progress_user = log,
                     .connect_timeout_s = 5,
                     .stall_timeout_s = 5};
    return o;
}

static long file_size(const char *dir, const char *name)
{
    char *p = stt_join(dir, name);
    struct stat st;
    long n = stat(p, &st) == 0 ? (long)st.st_size : -1;
    free(p);
    return n;
}

static void assert_same_file(const char *name)
{
    char *a = stt_join(repo_dir, name), *b = stt_join(dest, name);
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    cr_assert(fa && fb, "missing %s or %s", a, b);
    int ca, cb;
    long pos = 0;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        cr_assert_eq(ca, cb, "%s differs at byte %ld", name, pos);
        pos++;
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
    free(a);
    free(b);
}

/* Writes the first `n` bytes of the repo's model.safetensors as a .part. */
static void write_partial(long n)
{
    char *src = stt_join(repo_dir, "model.safetensors");
    FILE *fp = fopen(src, "rb");
    char *buf = malloc((size_t)n);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    char *pdir = stt_join(dest, ".partial");
    mkdir(dest, 0755);
    mkdir(pdir, 0755);
    free(stt_write_raw(pdir, "model.safetensors.part", buf, (size_t)n));
    free(pdir);
    free(buf);
    free(src);
}

static const hub_file model_only[] = {{"model.safetensors", 0}};

Test(hub, full_model_download_with_sha256)
{
    SKIP_WITHOUT_FIXTURES();
    hts_set_knobs(server, &(hts_knobs){.send_sha256 = 1, .size_lie = 0});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_OK, "%s",
                 err);
    const char *names[] = {"config.json", "preprocessor_config.json",
                           "model.safetensors", "vocab.json", "merges.txt"};
    for (int i = 0; i < 5; i++) assert_same_file(names[i]);
    cr_assert_eq(file_size(dest, "tokenizer.json"),
                 -1); /* optional, absent: 404 */
    cr_assert_eq(file_size(dest, ".partial"), -1,
                 "empty .partial folder left behind");
    long size = file_size(repo_dir, "model.safetensors");
    cr_assert_gt(log.calls, 0);
    cr_assert_eq(log.last_done, (uint64_t)size);
    cr_assert_eq(log.last_total, (uint64_t)size);

    st_checkpoint *c;
    cr_assert_eq(st_checkpoint_open(dest, &c, err), VLM_OK, "%s", err);
    st_checkpoint_close(c);

    /* a second pull re-asks only for the 7 optional files the repo lacks
     * (index, tokenizer.json/.model, spiece.model, vocab.txt,
     * tokenizer_config, special_tokens_map) */
    int before = hts_requests(server);
    cr_assert_eq(hub_download_model(REPO, NULL, dest, &o, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(hts_requests(server), before + 7);
}

Test(hub, resumes_existing_part)
{
    SKIP_WITHOUT_FIXTURES();
    write_partial(1000000);
    hts_set_knobs(server, &(hts_knobs){.send_sha256 = 1});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(hts_last_range(server), 1000000);
    cr_assert_eq(hts_requests(server), 1);
    assert_same_file("model.safetensors");
}

Test(hub, interrupted_transfer_then_resume)
{
    SKIP_WITHOUT_FIXTURES();
    hts_set_knobs(server, &(hts_knobs){.cut_after = 3000000});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_ENETWORK);
    cr_assert(strstr(err, "model.safetensors") && strstr(err, "resume"), "%s",
              err);
    cr_assert_eq(file_size(dest, ".partial/model.safetensors.part"), 3000000);
    cr_assert_eq(file_size(dest, "model.safetensors"), -1);

    hts_set_knobs(server, &(hts_knobs){.send_sha256 = 1});
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(hts_last_range(server), 3000000);
    assert_same_file("model.safetensors");
}

Test(hub, server_ignoring_range_restarts)
{
    SKIP_WITHOUT_FIXTURES();
    write_partial(12345);
    hts_set_knobs(server, &(hts_knobs){.ignore_range = 1});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(hts_last_range(server), 12345);
    assert_same_file("model.safetensors");
}

Test(hub, complete_part_is_finished_via_416)
{
    SKIP_WITHOUT_FIXTURES();
    write_partial(file_size(repo_dir, "model.safetensors"));
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_OK, "%s", err);
    assert_same_file("model.safetensors");
}

Test(hub, missing_required_file_is_a_clear_error)
{
    SKIP_WITHOUT_FIXTURES();
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    const hub_file want[] = {
        {"config.json", 0}, {"extra.json", 1}, {"weights.bin", 0}};
    cr_assert_eq(hub_download_repo(REPO, "main", dest, want, 3, &o, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "weights.bin") && strstr(err, "404") &&
                  strstr(err, "/" REPO "/resolve/main/weights.bin"),
              "%s", err);
    cr_assert_gt(file_size(dest, "config.json"), 0);
    cr_assert_eq(file_size(dest, ".partial/weights.bin.part"), -1);
    cr_assert_eq(file_size(dest, "extra.json"), -1);

    /* a repo without any tokenizer file is refused by hub_download_model */
    char *v = stt_join(repo_dir, "vocab.json");
    unlink(v);
    free(v);
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "no tokenizer files"), "%s", err);
}

/* Chinese-CLIP's tokenizer is vocab.txt alone; a repo with only pickled
 * weights gets advice instead of a bare 404. */
Test(hub, wordpiece_vocab_and_no_safetensors)
{
    SKIP_WITHOUT_FIXTURES();
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    char *v = stt_join(repo_dir, "vocab.json");
    unlink(v);
    free(v);
    link_fixture("tokenizer-chinese-bert/vocab.txt", "vocab.txt");
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_OK, "%s",
                 err);
    assert_same_file("vocab.txt");
    char *w = stt_join(repo_dir, "model.safetensors");
    unlink(w);
    free(w);
    stt_rmtree(dest);
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "has no model.safetensors") &&
                  strstr(err, "pytorch_model.bin") && strstr(err, "refs/pr/"),
              "%s", err);
}

Test(hub, size_mismatch_is_refused)
{
    SKIP_WITHOUT_FIXTURES();
    hts_set_knobs(server, &(hts_knobs){.size_lie = 10});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_EMISMATCH);
    cr_assert(strstr(err, "model.safetensors") && strstr(err, "announced"),
              "%s", err);
    cr_assert_eq(file_size(dest, "model.safetensors"), -1);
    cr_assert_eq(file_size(dest, ".partial/model.safetensors.part"), -1);
}

Test(hub, sha256_mismatch_is_refused)
{
    SKIP_WITHOUT_FIXTURES();
    hts_set_knobs(server, &(hts_knobs){.send_sha256 = 2});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_EMISMATCH);
    cr_assert(strstr(err, "SHA-256"), "%s", err);
    cr_assert_eq(file_size(dest, "model.safetensors"), -1);
}

Test(hub, offline_refuses_then_uses_local_files)
{
    SKIP_WITHOUT_FIXTURES();
    progress_log log = {0};
    hub_options o = options(&log);
    o.offline = 1;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_ENETWORK);
    cr_assert(strstr(err, "offline") && strstr(err, "config.json"), "%s", err);
    cr_assert_eq(hts_requests(server), 0);

    o.offline = 0;
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_OK, "%s",
                 err);
    int n = hts_requests(server);
    setenv("HF_HUB_OFFLINE", "1", 1);
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_OK, "%s",
                 err);
    unsetenv("HF_HUB_OFFLINE");
    cr_assert_eq(hts_requests(server), n);
}

Test(hub, token_is_sent)
{
    SKIP_WITHOUT_FIXTURES();
    hts_set_knobs(server, &(hts_knobs){.require_token = 1});
    progress_log log = {0};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    const hub_file cfg[] = {{"config.json", 0}};
    cr_assert_eq(hub_download_repo(REPO, "main", dest, cfg, 1, &o, err),
                 VLM_ENETWORK);
    cr_assert(strstr(err, "401") && strstr(err, "HF_TOKEN"), "%s", err);
    o.token = "secret";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, cfg, 1, &o, err), VLM_OK,
                 "%s", err);
}

Test(hub, sharded_checkpoint)
{
    SKIP_WITHOUT_FIXTURES();
    char *m = stt_join(repo_dir, "model.safetensors");
    char err[VLM_ERR_MAX] = "";
    st_file *src;
    cr_assert_eq(st_file_open(m, &src, err), VLM_OK, "%s", err);
    stt_write_sharded(repo_dir, src, 2);
    progress_log log = {0};
    hub_options o = options(&log);
    cr_assert_eq(hub_download_model(REPO, "main", dest, &o, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(file_size(dest, "model.safetensors"), -1,
                 "single file fetched too");
    assert_same_file("model-00001-of-00002.safetensors");
    assert_same_file("model-00002-of-00002.safetensors");
    st_checkpoint *c;
    cr_assert_eq(st_checkpoint_open(dest, &c, err), VLM_OK, "%s", err);
    cr_assert_eq(st_checkpoint_count(c), st_file_count(src));
    st_checkpoint_close(c);
    st_file_close(src);
    free(m);
}

Test(hub, cancel_and_bad_arguments)
{
    SKIP_WITHOUT_FIXTURES();
    progress_log log = {.cancel_after = 1};
    hub_options o = options(&log);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_EINTERRUPTED);
    cr_assert(strstr(err, "cancelled"), "%s", err);
    cr_assert_eq(
        hub_download_repo("../etc", "main", dest, model_only, 1, &o, err),
        VLM_EINVAL);
    const hub_file evil[] = {{"../../x", 0}};
    cr_assert_eq(hub_download_repo(REPO, "main", dest, evil, 1, &o, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "unsafe"), "%s", err);
    /* unreachable endpoint: a network error naming the URL */
    o.endpoint = "http://127.0.0.1:1";
    o.progress = NULL;
    cr_assert_eq(hub_download_repo(REPO, "main", dest, model_only, 1, &o, err),
                 VLM_ENETWORK);
    cr_assert(strstr(err, "127.0.0.1:1"), "%s", err);
}
