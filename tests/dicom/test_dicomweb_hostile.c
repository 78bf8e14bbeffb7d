/*
 * test_dicomweb_hostile.c — the DICOMweb client against servers that
 * misbehave on purpose (hostile_qido.py on 127.0.0.1): every walk must end,
 * with the reason said.  Endless paging (same UIDs, fresh UIDs, limit
 * ignored), stalls before and inside the body, a body that drips, a huge
 * legal answer (memory stays bounded), a huge single result, malformed and
 * truncated JSON, a wrong Content-Type, a redirect to another origin (not
 * followed, credentials never sent there), 503 forever, the overall
 * deadline and a cancel flag that ends a stalled request within 1 s.
 * Skips when python3 is missing.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dicomweb/dicomweb.h"

typedef struct server {
    pid_t pid;
    char dir[64];
    int port;
} server;

static int read_port(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/port", dir);
    FILE *f = fopen(path, "r");
    int port = 0;
    if (f) {
        if (fscanf(f, "%d", &port) != 1) port = 0;
        fclose(f);
    }
    return port;
}

static server start_server(const char *mode, int redirect_port)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        cr_skip_test("python3 not installed: no hostile test server");
    server s = {0};
    snprintf(s.dir, sizeof s.dir, "/tmp/vlm-hostile-XXXXXX");
    cr_assert(mkdtemp(s.dir));
    char rp[16];
    snprintf(rp, sizeof rp, "%d", redirect_port);
    s.pid = fork();
    cr_assert(s.pid >= 0);
    if (s.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        execl("/usr/bin/python3", "python3", HOSTILE_SERVER, mode, s.dir, rp,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !(s.port = read_port(s.dir)); i++)
        usleep(50 * 1000);
    cr_assert(s.port > 0, "hostile server (%s) did not start", mode);
    return s;
}

static void stop_server(server *s)
{
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    cr_expect_eq(system(cmd), 0);
}

/* Requests whose path ends with `suffix` (NULL: all); with_auth counts
 * those that carried an Authorization header. */
static int count_requests(const server *s, const char *suffix, int *with_auth)
{
    char path[128], line[1024];
    snprintf(path, sizeof path, "%s/requests.log", s->dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    if (with_auth) *with_auth = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = '\0';
        size_t len = strlen(line), sl = suffix ? strlen(suffix) : 0;
        if (suffix && (len < sl || strcmp(line + len - sl, suffix))) continue;
        n++;
        if (with_auth && !strncmp(tab + 1, "auth", 4)) (*with_auth)++;
    }
    if (f) fclose(f);
    return n;
}

typedef struct notes {
    char text[4096];
} notes;

static void on_note(void *ctx, const char *msg)
{
    notes *n = ctx;
    size_t len = strlen(n->text);
    snprintf(n->text + len, sizeof n->text - len, "%s\n", msg);
}

static int skip_all(void *ctx, const dicom_header *h)
{
    (void)ctx, (void)h;
    return 0;
}

typedef struct outcome {
    int rc;
    size_t seen;
    double seconds;
    char err[VLM_ERR_MAX];
} outcome;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Walks the server to the end; instances are never rendered (skip_all). */
static outcome walk(const server *s, dicomweb_opts o, notes *nt)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/dicom-web", s->port);
    o.base_url = url;
    o.log = on_note;
    o.log_ctx = nt;
    if (!o.backoff_ms) o.backoff_ms = 10;
    outcome r = {0};
    dicomweb_client *c;
    cr_assert_eq(dicomweb_client_create(&o, &c, r.err), VLM_OK, "%s", r.err);
    dicomweb_iter *it;
    double t0 = now_s();
    r.rc = dicomweb_iter_create(c, skip_all, NULL, &it, r.err);
    cr_assert_eq(r.rc, VLM_OK, "%s", r.err);
    dicomweb_item item = {0};
    while ((r.rc = dicomweb_iter_next(it, &item, r.err)) == 1) {}
    r.seconds = now_s() - t0;
    r.seen = dicomweb_iter_seen(it);
    dicomweb_item_clear(&item);
    dicomweb_iter_destroy(it);
    dicomweb_client_destroy(c);
    return r;
}

/* ---- paging ------------------------------------------------------------- */

Test(hostile, same_uids_on_every_page_stop_after_two_pages)
{
    server s = start_server("repeat", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.page_size = 10}, &nt);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 2);
    cr_expect_eq(count_requests(&s, "/series", NULL), 10, "each study once");
    cr_expect(strstr(nt.text, "paging studies stopped: page 2") &&
                  strstr(nt.text, "repeats 10 result(s)"),
              "%s", nt.text);
    stop_server(&s);
}

Test(hostile, fresh_uids_without_end_stop_at_max_pages)
{
    server s = start_server("fresh", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.page_size = 4, .max_pages = 6}, &nt);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 6);
    cr_expect_eq(count_requests(&s, "/series", NULL), 24);
    cr_expect(strstr(nt.text, "paging studies stopped after 6 pages"), "%s",
              nt.text);
    stop_server(&s);
}

Test(hostile, more_than_limit_is_the_whole_list)
{
    server s = start_server("ignore_limit", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.page_size = 10}, &nt);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 1);
    cr_expect_eq(count_requests(&s, "/series", NULL), 15);
    cr_expect(strstr(nt.text, "15 results for limit=10"), "%s", nt.text);
    stop_server(&s);
}

Test(hostile, a_short_page_ends_quietly)
{
    server s = start_server("short", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.page_size = 10}, &nt);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 1);
    cr_expect_eq(count_requests(&s, "/series", NULL), 9);
    cr_expect_str_eq(nt.text, "", "a normal end needs no note");
    stop_server(&s);
}

/* ---- time --------------------------------------------------------------- */

typedef struct canceller {
    volatile sig_atomic_t *flag;
    double at, set_at;
} canceller;

static void *cancel_later(void *p)
{
    canceller *c = p;
    usleep((useconds_t)(c->at * 1e6));
    c->set_at = now_s();
    *c->flag = 1;
    return NULL;
}

/* A stalled request ends within 1 s of the cancel flag. */
static void expect_cancel_ends(const char *mode)
{
    server s = start_server(mode, 0);
    static volatile sig_atomic_t flag;
    flag = 0;
    canceller cc = {.flag = &flag, .at = 0.5};
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &cc);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.cancel = &flag}, &nt);
    double ended = now_s();
    pthread_join(t, NULL);
    cr_expect_eq(r.rc, VLM_EINTERRUPTED, "%s: %d %s", mode, r.rc, r.err);
    cr_expect(strstr(r.err, "interrupted"), "%s", r.err);
    cr_expect(ended - cc.set_at < 1.0, "%s: ended %.2f s after the cancel",
              mode, ended - cc.set_at);
    stop_server(&s);
}

Test(hostile, cancel_ends_a_request_stalled_before_headers)
{
    expect_cancel_ends("stall");
}

Test(hostile, cancel_ends_a_request_stalled_in_the_body)
{
    expect_cancel_ends("stall_body");
}

Test(hostile, the_overall_deadline_ends_a_stall)
{
    server s = start_server("stall", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.deadline_s = 1.0}, &nt);
    cr_expect_eq(r.rc, VLM_ETOOBIG, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "overall deadline of 1 s"), "%s", r.err);
    cr_expect(r.seconds < 2.0, "took %.2f s", r.seconds);
    stop_server(&s);
}

Test(hostile, a_stall_fails_each_try_after_the_stall_timeout)
{
    server s = start_server("stall_body", 0);
    notes nt = {""};
    outcome r =
        walk(&s, (dicomweb_opts){.stall_timeout_s = 1, .max_retries = 1}, &nt);
    cr_expect_eq(r.rc, VLM_ENETWORK, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "after 2 tries"), "%s", r.err);
    cr_expect(r.seconds < 8.0, "took %.2f s", r.seconds);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 2);
    stop_server(&s);
}

Test(hostile, a_dripping_body_fails_at_the_request_timeout)
{
    server s = start_server("drip", 0);
    notes nt = {""};
    outcome r =
        walk(&s, (dicomweb_opts){.timeout_s = 2, .max_retries = -1}, &nt);
    cr_expect_eq(r.rc, VLM_ENETWORK, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "imeout") || strstr(r.err, "timed out"), "%s",
              r.err);
    cr_expect(r.seconds < 3.5, "took %.2f s", r.seconds);
    stop_server(&s);
}

Test(hostile, unavailable_forever_is_retried_a_bounded_number_of_times)
{
    server s = start_server("unavailable", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){.max_retries = 2}, &nt);
    cr_expect_eq(r.rc, VLM_ENETWORK, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "HTTP 503"), "%s", r.err);
    cr_expect_eq(count_requests(&s, NULL, NULL), 3);
    stop_server(&s);
}

/* ---- bodies ------------------------------------------------------------- */

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

Test(hostile, a_huge_legal_answer_is_read_in_bounded_memory)
{
    server s = start_server("big", 0);
    notes nt = {""};
    long before = max_rss_kb();
    /* 5000 instance records of ~12 KB: a 60 MB answer. */
    outcome r = walk(&s, (dicomweb_opts){.page_size = 5000}, &nt);
    long grew_mb = (max_rss_kb() - before) / 1024;
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(r.seen, 5000);
    cr_expect_eq(count_requests(&s, "/instances", NULL), 2,
                 "then a short page");
#ifndef __SANITIZE_ADDRESS__ /* ASan's quarantine keeps freed records */
    cr_expect(grew_mb < 24, "peak RSS grew %ld MB for a 60 MB answer", grew_mb);
#else
    (void)grew_mb;
#endif
    stop_server(&s);
}

Test(hostile, a_huge_single_result_is_refused)
{
    server s = start_server("huge_record", 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){0}, &nt);
    cr_expect_eq(r.rc, VLM_ETOOBIG, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "result 1 is larger than 1048576 bytes"), "%s",
              r.err);
    stop_server(&s);
}

static void expect_format_error(const char *mode, const char *words)
{
    server s = start_server(mode, 0);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){0}, &nt);
    cr_expect_eq(r.rc, VLM_EFORMAT, "%s: %d %s", mode, r.rc, r.err);
    cr_expect(strstr(r.err, words), "%s: %s", mode, r.err);
    cr_expect_eq(count_requests(&s, "/studies", NULL), 1, "not retried");
    stop_server(&s);
}

Test(hostile, malformed_json_is_refused)
{
    expect_format_error("malformed", "result 2 is malformed JSON");
}

Test(hostile, a_truncated_array_is_refused)
{
    expect_format_error("truncated", "ends before its array does");
}

Test(hostile, a_wrong_content_type_is_refused)
{
    expect_format_error("html", "Content-Type \"text/html\"");
}

Test(hostile, redirects_are_not_followed_and_credentials_stay)
{
    server other = start_server("record", 0);
    server s = start_server("redirect", other.port);
    setenv("VLMINDEX_DICOMWEB_TOKEN", "secret-test-token", 1);
    notes nt = {""};
    outcome r = walk(&s, (dicomweb_opts){0}, &nt);
    unsetenv("VLMINDEX_DICOMWEB_TOKEN");
    cr_expect_eq(r.rc, VLM_ENETWORK, "%d %s", r.rc, r.err);
    cr_expect(strstr(r.err, "HTTP 302 redirect, not followed"), "%s", r.err);
    cr_expect(!strstr(r.err, "secret-test-token"));
    int with_auth;
    cr_expect_eq(count_requests(&s, NULL, &with_auth), 1);
    cr_expect_eq(with_auth, 1, "the configured server got the token");
    cr_expect_eq(count_requests(&other, NULL, NULL), 0,
                 "the other origin was never contacted");
    stop_server(&s);
    stop_server(&other);
}
