/*
 * test_cli_dicomweb_stop.c — `vlmindex add dicomweb+http://...` against
 * hostile loopback servers (tests/dicom/hostile_qido.py): Ctrl-C during a
 * stalled request ends the command within 1 s with exit 130 and a
 * collection that still opens; endless paging ends with exit 0 and the
 * reason on stderr; --deadline ends a stall with exit 2.  Skips without
 * python3.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;
static pid_t server_pid;
static char server_dir[900], url[128];

static void setup(void) { e2e_ws_init(&ws, MODEL); }
static void teardown(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
    e2e_ws_cleanup(&ws);
}

TestSuite(cli_dicomweb_stop, .init = setup, .fini = teardown, .timeout = 120);

static int file_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    while (f && (ch = fgetc(f)) != EOF) n += ch == '\n';
    if (f) fclose(f);
    return n;
}

static void start_server(const char *mode)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        cr_skip_test("python3 not installed: no hostile test server");
    snprintf(server_dir, sizeof server_dir, "%s/server", ws.root);
    cr_assert_eq(e2e_sh("mkdir -p '%s'", server_dir), 0);
    server_pid = fork();
    cr_assert(server_pid >= 0);
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl("/usr/bin/python3", "python3", HOSTILE_SERVER, mode, server_dir,
              (char *)NULL);
        _exit(127);
    }
    char path[1000];
    snprintf(path, sizeof path, "%s/port", server_dir);
    int port = 0;
    for (int i = 0; i < 100 && port == 0; i++) {
        FILE *f = fopen(path, "r");
        if (!f || fscanf(f, "%d", &port) != 1) port = 0;
        if (f) fclose(f);
        if (!port) usleep(50 * 1000);
    }
    cr_assert(port > 0, "hostile server did not start");
    snprintf(url, sizeof url, "dicomweb+http://127.0.0.1:%d/dicom-web", port);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

Test(cli_dicomweb_stop, ctrl_c_ends_a_stalled_request_within_a_second)
{
    start_server("stall");
    const char *args[] = {
        "add", "--collection", ws.coll, "--model", ws.model, url, NULL};
    pid_t pid = e2e_spawn("vlmindex", args);
    char log[1000];
    snprintf(log, sizeof log, "%s/requests.log", server_dir);
    for (int i = 0; i < 600 && file_lines(log) == 0; i++) usleep(50 * 1000);
    cr_assert_eq(file_lines(log), 1, "the QIDO request never arrived");
    usleep(300 * 1000); /* well inside the stalled request */
    double t0 = now_s();
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    double took = now_s() - t0;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "exit status %d",
              status);
    cr_expect(took < 1.0, "ended %.2f s after SIGINT", took);
    const char *st[] = {"status", "--collection", ws.coll, NULL};
    e2e_run r = e2e_exec("vlmindex", st);
    cr_expect_eq(r.status, 0, "the collection opens afterwards: %s", r.err);
    e2e_run_free(&r);
}

Test(cli_dicomweb_stop, endless_paging_ends_with_the_reason)
{
    start_server("repeat");
    const char *args[] = {"add", "--collection", ws.coll, "--model", ws.model,
                          url,   "--page-size",  "5",     NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "dicomweb: paging studies stopped: page 2"), "%s",
              r.err);
    cr_expect(strstr(r.out, "added 0,"), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_dicomweb_stop, the_deadline_ends_a_stall)
{
    start_server("stall");
    const char *args[] = {"add", "--collection", ws.coll, "--model", ws.model,
                          url,   "--deadline",   "1",     NULL};
    double t0 = now_s();
    e2e_run r = e2e_exec("vlmindex", args);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect(strstr(r.err, "overall deadline of 1 s passed"), "%s", r.err);
    cr_expect(now_s() - t0 < 30, "model loading plus one second");
    e2e_run_free(&r);
}
