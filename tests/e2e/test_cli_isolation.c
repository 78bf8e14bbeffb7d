/*
 * End-to-end: decoders that die do not take `vlmindex add` down.  One
 * folder mixes the fixture photos, the bad fixture files, synthetic DICOM,
 * Debian's pydicom test files (when installed: RT Dose and others that
 * abort GDCM) and inputs on which the test worker's decoder aborts,
 * segfaults, hangs or allocates without bound.  The run exits 0, every
 * good photo is indexed and every other file is either indexed or listed
 * by `status --failed` with its reason.  An image query that kills the
 * decoder is a clear error.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_isolation.h"
#include "tests/e2e/e2e_util.h"

#define MODEL   "clip-tiny-quickgelu-f32"
#define PYDICOM "/usr/lib/python3/dist-packages/pydicom/data/test_files"

#if defined(__SANITIZE_ADDRESS__) || defined(VLM_SANITIZED)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static e2e_ws ws;
static char mixed[700];
static int limited; /* workers get an address-space limit here */

/* Not under ASan (shadow memory), nor under qemu-user (which ignores
 * RLIMIT_AS): then the runaway decoder is left out. */
static int workers_memory_limited(void)
{
    media_isolation_opts o = {.worker_path = TEST_DECODE_WORKER,
                              .memory_mb = 256};
    char err[VLM_ERR_MAX], note[256];
    media_image m;
    if (media_isolation_configure(&o, err)) return 0;
    media_decode("x", 1, "probe", NULL, &m, err);
    media_image_free(&m);
    media_isolation_describe(note, sizeof note);
    media_isolation_reset();
    return strstr(note, ", 256 MiB") != NULL;
}

static void put(const char *name, const char *text)
{
    cr_assert_eq(e2e_sh("printf '%%s' '%s' > '%s/%s'", text, mixed, name), 0);
}

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    snprintf(mixed, sizeof mixed, "%s/mixed", ws.root);
    cr_assert_eq(e2e_sh("mkdir -p '%s/dicom' && cp -r '%s' '%s/photos' && "
                        "cp '%s/images/bad/'* '%s/' && '%s' '%s/dicom' "
                        ">/dev/null",
                        mixed, ws.photos, mixed, ws.fixtures, mixed,
                        SYN_GENERATOR, mixed),
                 0);
    e2e_sh("[ -d '%s' ] && mkdir '%s/pydicom' && cp '%s'/*.dcm '%s/pydicom/'",
           PYDICOM, mixed, PYDICOM, mixed);
    put("crash-abort.jpg", "VLMTEST:abort");
    put("crash-segv.png", "VLMTEST:segv");
    put("hang.gif", "VLMTEST:loop");
    limited = workers_memory_limited();
    if (limited) put("runaway.tif", "VLMTEST:alloc");
    setenv("VLMINDEX_DECODE_WORKER", TEST_DECODE_WORKER, 1);
    setenv("VLMINDEX_DECODE_TIMEOUT", "5", 1);
    setenv("VLMINDEX_DECODE_MEMORY_MB", "256", 1);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_isolation, .init = setup, .fini = teardown, .timeout = 300);

static e2e_run vlmindex(const char *cmd, const char *a1)
{
    const char *args[] = {cmd, "--collection", ws.coll, "--model", ws.model, a1,
                          NULL};
    return e2e_exec("vlmindex", args);
}

/* The reason `status --failed` gives for `name` (a line "PATH\tREASON"). */
static const char *reason(const char *failed, const char *name, char *buf,
                          size_t cap)
{
    char key[800];
    snprintf(key, sizeof key, "/%s\t", name);
    const char *p = strstr(failed, key);
    if (!p) return NULL;
    p += strlen(key);
    snprintf(buf, cap, "%.*s", (int)strcspn(p, "\n"), p);
    return buf;
}

static int indexed(const char *path)
{
    collection *c;
    collection_image *row = malloc(sizeof *row);
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    int ok = collection_find_by_path(c, path, row, NULL) == VLM_OK &&
             row->status == COLLECTION_STATUS_OK && row->has_embedding;
    collection_close(c);
    free(row);
    return ok;
}

/* Every file under `dir` is indexed or has a failure line; returns how
 * many failed. */
static int every_file_accounted_for(const char *dir, const char *failed)
{
    int n_failed = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    char buf[600];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type == DT_DIR) continue;
        if (!strcmp(e->d_name, "not-an-image.txt")) continue; /* silent */
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        const char *why = reason(failed, e->d_name, buf, sizeof buf);
        if (why) {
            cr_expect(why[0], "%s: empty reason", path);
            n_failed++;
            continue;
        }
        cr_expect(indexed(path), "%s: neither indexed nor failed with a reason",
                  path);
    }
    closedir(d);
    return n_failed;
}

Test(cli_isolation, mixed_folder_exits_0_and_reports_every_refusal)
{
    e2e_run r = vlmindex("add", mixed);
    cr_assert_eq(r.status, 0, "add: %s", r.err);
    cr_assert(strstr(r.err, "crash-abort.jpg: decoder crashed: SIGABRT"), "%s",
              r.err);
    e2e_run_free(&r);
    r = vlmindex("status", "--failed");
    cr_assert_eq(r.status, 0);
    char buf[600];
    cr_expect_str_eq(reason(r.out, "crash-abort.jpg", buf, sizeof buf),
                     "decoder crashed: SIGABRT");
    cr_expect_str_eq(reason(r.out, "hang.gif", buf, sizeof buf),
                     "decoder timed out after 5 s");
    cr_expect(reason(r.out, "crash-segv.png", buf, sizeof buf) &&
                  strstr(buf, "decoder ") == buf,
              "crash-segv.png: %s", buf);
    if (limited)
        cr_expect_str_eq(reason(r.out, "runaway.tif", buf, sizeof buf),
                         "out of memory (decoder memory limit 256 MiB)");
    cr_expect(reason(r.out, "bomb-65000x65000.jpg", buf, sizeof buf) &&
                  strstr(buf, "decompression bomb"),
              "bomb: %s", buf);
    char sub[800];
    cr_expect_eq(every_file_accounted_for(mixed, r.out), 9 + 3 + limited);
    snprintf(sub, sizeof sub, "%s/photos", mixed);
    cr_expect_eq(every_file_accounted_for(sub, r.out), 0, "a photo failed");
    snprintf(sub, sizeof sub, "%s/dicom", mixed);
    every_file_accounted_for(sub, r.out);
    snprintf(sub, sizeof sub, "%s/pydicom", mixed);
    DIR *py = opendir(sub);
    if (py) {
        closedir(py);
        every_file_accounted_for(sub, r.out);
    }
    e2e_run_free(&r);
}

Test(cli_isolation, image_query_that_kills_the_decoder_is_an_error)
{
    e2e_run r = vlmindex("add", ws.photos);
    cr_assert_eq(r.status, 0, "add: %s", r.err);
    e2e_run_free(&r);
    char q[800];
    snprintf(q, sizeof q, "%s/crash-abort.jpg", mixed);
    const char *args[] = {"--collection", ws.coll, "--model",
                          ws.model,       q,       NULL};
    r = e2e_exec("vlmsearch", args);
    cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
    cr_assert(strstr(r.err, "crash-abort.jpg: decoder crashed: SIGABRT"), "%s",
              r.err);
    e2e_run_free(&r);
}
