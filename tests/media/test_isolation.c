/*
 * test_isolation.c — media_decode() through worker processes: the same
 * pixels and fields as in-process decoding for every fixture image and a
 * DICOM file; a decoder that aborts, segfaults, loops, exits, allocates
 * without bound, lies or calls what the sandbox forbids costs one input
 * with the reason, and the next input decodes on a fresh worker; the
 * sandbox refuses files, sockets, exec and fork; settings are checked.
 *
 * The misbehaving decoder lives only in the test worker
 * (test_decode_worker.c), chosen per test with media_isolation_configure.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "media/media_file.h"
#include "media/media_isolation.h"
#include "model/dicom/dicom_writer.h"

#if defined(__SANITIZE_ADDRESS__) || defined(VLM_SANITIZED)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static void use_worker(const char *path, int timeout_ms, int memory_mb)
{
    media_isolation_opts o = {
        .worker_path = path, .timeout_ms = timeout_ms, .memory_mb = memory_mb};
    char err[VLM_ERR_MAX];
    cr_assert_eq(media_isolation_configure(&o, err), VLM_OK, "%s", err);
}

static void use_test_worker(void) { use_worker(TEST_DECODE_WORKER, 0, 0); }

/* Decodes `text` as a file named `name`; returns rc, fills err. */
static int decode_text(const char *text, const char *name, char *err)
{
    media_image m;
    int rc = media_decode(text, strlen(text), name, NULL, &m, err);
    media_image_free(&m);
    return rc;
}

static const char *fixtures(void)
{
    const char *fx = getenv("VLM_FIXTURES");
    if (!fx) cr_skip_test("VLM_FIXTURES unset (run through meson test)");
    return fx;
}

/* A good image decodes: the worker pool recovered. */
static void assert_decodes(void)
{
    char path[1024], err[VLM_ERR_MAX] = "";
    snprintf(path, sizeof path, "%s/images/photos/cat.jpg", fixtures());
    img_rgb im;
    cr_assert_eq(media_load_file(path, NULL, &im, err), VLM_OK, "%s", err);
    cr_assert_gt(im.width, 0);
    img_rgb_free(&im);
}

static void expect_same(const media_image *a, const media_image *b,
                        const char *what)
{
    cr_assert_eq(a->rgb.width, b->rgb.width, "%s", what);
    cr_assert_eq(a->rgb.height, b->rgb.height, "%s", what);
    size_t px = (size_t)a->rgb.width * a->rgb.height;
    cr_assert_eq(memcmp(a->rgb.pixels, b->rgb.pixels, 3 * px), 0, "%s", what);
    cr_assert_eq(!a->rgb.alpha, !b->rgb.alpha, "%s", what);
    if (a->rgb.alpha)
        cr_assert_eq(memcmp(a->rgb.alpha, b->rgb.alpha, px), 0, "%s", what);
    cr_assert_eq(a->rgb.nearest, b->rgb.nearest, "%s", what);
    cr_assert_str_eq(a->format, b->format, "%s", what);
    cr_assert_eq(memcmp(&a->info, &b->info, sizeof a->info), 0, "%s", what);
    cr_assert_eq(!a->dicom, !b->dicom, "%s", what);
    if (a->dicom)
        cr_assert_eq(memcmp(a->dicom, b->dicom, sizeof *a->dicom), 0, "%s",
                     what);
}

/* In-process and isolated decodes of the same bytes agree exactly. */
static void compare_bytes(const uint8_t *b, size_t n, const char *name,
                          const media_decode_opts *o)
{
    media_image a, c;
    char ea[VLM_ERR_MAX] = "", ec[VLM_ERR_MAX] = "";
    int ra = media_decode_in_process(b, n, name, o, &a, ea);
    int rc = media_decode(b, n, name, o, &c, ec);
    cr_assert_eq(rc, ra, "%s: isolated %d (%s), in process %d (%s)", name, rc,
                 ec, ra, ea);
    cr_assert_str_eq(ec, ea, "%s", name);
    if (!ra) expect_same(&a, &c, name);
    media_image_free(&a);
    media_image_free(&c);
}

static void compare_folder(const char *dir, const media_decode_opts *o)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024], err[VLM_ERR_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        uint8_t *b;
        size_t len;
        cr_assert_eq(media_read_file(path, 0, &b, &len, err), VLM_OK, "%s",
                     err);
        compare_bytes(b, len, path, o);
        free(b);
        n++;
    }
    closedir(d);
    cr_assert_gt(n, 5, "%s: too few files", dir);
}

Test(isolation, fixture_images_decode_as_in_process)
{
    use_worker(NULL, 0, 0); /* $VLMINDEX_DECODE_WORKER: the real worker */
    const char *sub[] = {"photos", "edge", "bad"};
    media_decode_opts exact = {0}, fast = {.min_short_side = 448};
    for (int i = 0; i < 3; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/images/%s", fixtures(), sub[i]);
        compare_folder(dir, &exact);
        compare_folder(dir, &fast);
    }
    char note[256];
    media_isolation_describe(note, sizeof note);
    cr_expect(strstr(note, "worker processes (seccomp") == note, "%s", note);
}

/* A 4x2 MONOCHROME2 image written in memory (SamplesPerPixel `spp`). */
static uint8_t *tiny_dicom_spp(size_t *len, int spp);
static uint8_t *tiny_dicom(size_t *len) { return tiny_dicom_spp(len, 1); }

static uint8_t *tiny_dicom_spp(size_t *len, int spp)
{
    static const uint8_t px[64] = {0, 40, 80, 120, 160, 200, 240, 255};
    const char *cls = "1.2.840.10008.5.1.4.1.1.7";
    dicom_writer *w = dicom_writer_create(cls, "2.25.4321");
    cr_assert(w);
    dicom_writer_string(w, 0x0008, 0x0016, "UI", cls);
    dicom_writer_string(w, 0x0008, 0x0018, "UI", "2.25.4321");
    dicom_writer_string(w, 0x0008, 0x0060, "CS", "OT");
    dicom_writer_us(w, 0x0028, 0x0002, (unsigned)spp);
    dicom_writer_string(w, 0x0028, 0x0004, "CS", "MONOCHROME2");
    dicom_writer_us(w, 0x0028, 0x0010, 2);
    dicom_writer_us(w, 0x0028, 0x0011, 4);
    dicom_writer_us(w, 0x0028, 0x0100, 8);
    dicom_writer_us(w, 0x0028, 0x0101, 8);
    dicom_writer_us(w, 0x0028, 0x0102, 7);
    dicom_writer_us(w, 0x0028, 0x0103, 0);
    dicom_writer_bytes(w, 0x7FE0, 0x0010, "OB", px, 8 * (size_t)spp);
    uint8_t *bytes = NULL;
    char err[VLM_ERR_MAX] = "";
    int st = dicom_writer_finish(w, &bytes, len, err);
    dicom_writer_destroy(w);
    cr_assert_eq(st, VLM_OK, "%s", err);
    return bytes;
}

Test(isolation, dicom_decodes_as_in_process_then_photos_still_do)
{
    use_worker(NULL, 0, 0);
    size_t len;
    uint8_t *b = tiny_dicom(&len);
    /* every kind and VOI function comes back as applied (the reply check
     * once clamped kinds added later, MINMAX and STORED_LUT, to DEFAULT) */
    media_decode_opts o = {.window = {.kind = DICOM_WINDOW_FULL_RANGE}};
    compare_bytes(b, len, "tiny.dcm", &o);
    o.window.kind = DICOM_WINDOW_MINMAX;
    compare_bytes(b, len, "tiny.dcm", &o);
    o.window = (dicom_window){.kind = DICOM_WINDOW_EXPLICIT,
                              .center = 100,
                              .width = 80,
                              .function = DICOM_VOI_SIGMOID};
    compare_bytes(b, len, "tiny.dcm", &o);
    compare_bytes(b, len, "tiny.dcm", NULL);
    b[200] ^= 0xff; /* damage the header: an error, the same one */
    compare_bytes(b, len, "damaged.dcm", NULL);
    free(b);
    assert_decodes();
}

/* Found by fuzz_dicom: SamplesPerPixel above 4 trips an assert in Debian's
 * GDCM (PixelFormat::SetSamplesPerPixel) that no structural pre-check
 * foresaw; decoded in this process it would abort the caller. */
Test(isolation, gdcm_assert_on_a_file_costs_that_file)
{
    use_worker(NULL, 0, 0);
    size_t len;
    uint8_t *b = tiny_dicom_spp(&len, 5);
    media_image m;
    char err[VLM_ERR_MAX];
    int rc = media_decode(b, len, "spp5.dcm", NULL, &m, err);
    free(b);
    cr_assert_neq(rc, VLM_OK);
    /* "decoder crashed: SIGABRT" today; a check before GDCM would do too */
    cr_assert(strncmp(err, "spp5.dcm: ", 10) == 0, "%s", err);
    assert_decodes();
}

Test(isolation, abort_costs_one_file)
{
    use_test_worker();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:abort", "a.jpg", err), VLM_EFORMAT);
    cr_assert_str_eq(err, "a.jpg: decoder crashed: SIGABRT");
    assert_decodes();
    cr_assert_eq(decode_text("VLMTEST:abort", "b.jpg", err), VLM_EFORMAT);
    assert_decodes();
}

Test(isolation, segfault_and_exit_are_reported)
{
    use_test_worker();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:segv", "s.png", err), VLM_EFORMAT);
    /* ASan catches the fault itself and exits with its exit code. */
    if (SANITIZED)
        cr_expect(strstr(err, "s.png: decoder ") == err, "%s", err);
    else
        cr_expect_str_eq(err, "s.png: decoder crashed: SIGSEGV");
    cr_assert_eq(decode_text("VLMTEST:exit", "e.png", err), VLM_EFORMAT);
    cr_expect_str_eq(err, "e.png: decoder exited with status 3");
    assert_decodes();
}

/* A sanitizer finding in a worker fails the file, so CI notices it. */
Test(isolation, sanitizer_reports_in_a_worker_fail_the_file)
{
    if (!SANITIZED) cr_skip_test("not a sanitizer build");
    use_test_worker();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:ubsan", "u.bmp", err), VLM_EFORMAT, "%s",
                 err);
    cr_assert(strstr(err, "u.bmp: decoder ") == err, "%s", err);
    assert_decodes();
}

Test(isolation, endless_loop_times_out)
{
    use_worker(TEST_DECODE_WORKER, 400, 0);
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:loop", "l.gif", err), VLM_ETOOBIG);
    cr_assert_str_eq(err, "l.gif: decoder timed out after 0.4 s");
    assert_decodes();
}

Test(isolation, unbounded_allocation_hits_the_memory_limit)
{
    if (SANITIZED)
        cr_skip_test("sanitizer build: ASan's shadow memory rules out an "
                     "address-space limit");
    use_worker(TEST_DECODE_WORKER, 0, 256);
    char err[VLM_ERR_MAX], note[256];
    assert_decodes(); /* starts a worker, which says what limit it set */
    media_isolation_describe(note, sizeof note);
    if (!strstr(note, ", 256 MiB"))
        cr_skip_test("no address-space limit here: %s", note);
    cr_assert_eq(decode_text("VLMTEST:alloc", "m.tif", err), VLM_ENOMEM);
    cr_assert_str_eq(err,
                     "m.tif: out of memory (decoder memory limit 256 MiB)");
    assert_decodes();
}

static int seccomp_on(void)
{
    char note[256];
    assert_decodes(); /* starts a worker */
    media_isolation_describe(note, sizeof note);
    return strstr(note, "seccomp on") != NULL;
}

Test(isolation, sandbox_refuses_files_network_exec_fork)
{
    use_test_worker();
    if (!seccomp_on()) cr_skip_test("seccomp unavailable here (qemu-user?)");
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:escape", "x.jpg", err), VLM_EUNSUPPORTED);
    cr_assert_str_eq(err, "x.jpg: open=EACCES create=EACCES socket=EACCES "
                          "exec=EACCES fork=EACCES");
    assert_decodes();
}

Test(isolation, forbidden_calls_kill_the_worker)
{
    use_test_worker();
    if (!seccomp_on()) cr_skip_test("seccomp unavailable here (qemu-user?)");
    if (SANITIZED)
        cr_skip_test("sanitizer build: unknown calls fail with ENOSYS so "
                     "reports get out");
    char err[VLM_ERR_MAX];
    const char *want = "decoder crashed: SIGSYS (a system call its sandbox "
                       "forbids)";
    cr_assert_eq(decode_text("VLMTEST:syscall", "y.jpg", err), VLM_EFORMAT);
    cr_assert(strstr(err, want), "%s", err);
    cr_assert_eq(decode_text("VLMTEST:execmem", "z.jpg", err), VLM_EFORMAT);
    cr_assert(strstr(err, want), "%s", err);
    assert_decodes();
}

Test(isolation, malformed_replies_are_refused)
{
    use_test_worker();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:lie", "p.png", err), VLM_EIO);
    cr_assert_str_eq(err, "p.png: decoder worker sent a malformed reply");
    cr_assert_eq(decode_text("VLMTEST:badrc", "q.png", err), VLM_EIO);
    cr_assert_str_eq(err, "q.png: decoder worker sent a malformed reply");
    assert_decodes();
}

/* Found by fuzz_decode_reply: a worker's message was passed on as it came,
 * so a worker gone astray could leave a failure that names no file. */
Test(isolation, failures_always_name_the_input)
{
    use_test_worker();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:anon", "r.png", err), VLM_EFORMAT);
    cr_assert_str_eq(err, "r.png: corrupt somewhere");
    cr_assert_eq(decode_text("VLMTEST:mute", "s.png", err), VLM_EFORMAT);
    cr_assert_str_eq(err, "s.png: decoder failed without a reason");
    /* A photo decoder's own message already names it: left alone. */
    cr_assert_eq(decode_text("GIF89a", "t.gif", err), VLM_EFORMAT);
    cr_assert(strncmp(err, "t.gif: ", 7) == 0 && !strstr(err + 7, "t.gif"),
              "%s", err);
}

Test(isolation, in_process_mode_runs_no_worker)
{
    media_isolation_opts o = {.in_process = 1,
                              .worker_path = TEST_DECODE_WORKER};
    char err[VLM_ERR_MAX], note[64];
    cr_assert_eq(media_isolation_configure(&o, err), VLM_OK);
    /* No worker, so no misbehaving hook: just bytes that are no image. */
    cr_assert_eq(decode_text("VLMTEST:abort", "a.jpg", err), VLM_EFORMAT);
    cr_assert(strstr(err, "not an image"), "%s", err);
    media_isolation_describe(note, sizeof note);
    cr_assert_str_eq(note, "in process");
    assert_decodes();
}

Test(isolation, environment_settings_are_checked)
{
    setenv("VLMINDEX_DECODE_TIMEOUT", "1e3", 1);
    media_isolation_reset();
    char err[VLM_ERR_MAX];
    cr_assert_eq(decode_text("VLMTEST:abort", "a.jpg", err), VLM_EINVAL);
    cr_assert_str_eq(err, "a.jpg: cannot decode: VLMINDEX_DECODE_TIMEOUT="
                          "\"1e3\" is not a whole number from 1 to 86400");
    setenv("VLMINDEX_DECODE_TIMEOUT", "2", 1);
    setenv("VLMINDEX_DECODE_IN_PROCESS", "yes", 1);
    media_isolation_reset();
    cr_assert_eq(decode_text("x", "b.jpg", err), VLM_EINVAL);
    cr_assert(strstr(err, "VLMINDEX_DECODE_IN_PROCESS=\"yes\" is not 0 or 1"),
              "%s", err);
    unsetenv("VLMINDEX_DECODE_IN_PROCESS");
    setenv("VLMINDEX_DECODE_WORKER", "/nonexistent/worker", 1);
    media_isolation_reset();
    cr_assert_eq(decode_text("x", "c.jpg", err), VLM_ENOTFOUND);
    cr_assert_str_eq(err, "c.jpg: decoder worker /nonexistent/worker: No such "
                          "file or directory");
}

/* Under `ulimit -f` the workers' shared memory cannot grow (ftruncate of a
 * memfd obeys RLIMIT_FSIZE): every file used to fail as "File too large".
 * Decoding falls back to the process itself, and says why. */
Test(isolation, file_size_limit_decodes_in_process)
{
    struct rlimit fs = {64 * 1024, 64 * 1024};
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &fs), 0);
    media_isolation_reset();
    assert_decodes();
    char note[160];
    media_isolation_describe(note, sizeof note);
    cr_assert(strstr(note, "in process (a file-size limit"), "%s", note);
}

/* A worker is replaced after WORKER_MAX_FILES (5000) files, bounding what
 * a library leaks per file. */
Test(isolation, workers_are_replaced_after_5000_files)
{
    use_test_worker();
    char first[VLM_ERR_MAX], last[VLM_ERR_MAX], next[VLM_ERR_MAX];
    decode_text("VLMTEST:pid", "p", first);
    char err[VLM_ERR_MAX];
    for (int i = 2; i < 5000; i++) decode_text("x", "x", err);
    decode_text("VLMTEST:pid", "p", last);
    decode_text("VLMTEST:pid", "p", next);
    cr_assert(strstr(first, "p: pid "), "%s", first);
    cr_assert_str_eq(first, last, "the 5000th file, same worker");
    cr_assert_str_neq(last, next, "the 5001st file, a fresh worker");
}

typedef struct job {
    int i;
    int rc;
    char err[VLM_ERR_MAX];
} job;

/* Even threads crash their worker, odd ones decode a photo. */
static void *decode_job(void *arg)
{
    job *j = arg;
    if (j->i % 2 == 0) {
        j->rc = decode_text("VLMTEST:abort", "boom.jpg", j->err);
        return NULL;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/images/photos/bee.jpg",
             getenv("VLM_FIXTURES"));
    img_rgb im;
    j->rc = media_load_file(path, NULL, &im, j->err);
    img_rgb_free(&im);
    return NULL;
}

Test(isolation, threads_share_a_small_pool)
{
    fixtures();
    media_isolation_opts o = {.worker_path = TEST_DECODE_WORKER,
                              .max_workers = 3};
    char err[VLM_ERR_MAX];
    cr_assert_eq(media_isolation_configure(&o, err), VLM_OK);
    enum {
        N = 12
    };
    pthread_t t[N];
    job jobs[N];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            jobs[i] = (job){.i = i};
            cr_assert_eq(pthread_create(&t[i], NULL, decode_job, &jobs[i]), 0);
        }
        for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
        for (int i = 0; i < N; i++)
            if (i % 2)
                cr_assert_eq(jobs[i].rc, VLM_OK, "%s", jobs[i].err);
            else
                cr_assert_str_eq(jobs[i].err, "boom.jpg: decoder crashed: "
                                              "SIGABRT");
    }
}
