/* End-to-end: the progress display of `vlmindex add`.  Under a real
 * pseudo-terminal (tmux) at 80 and 40 columns, the screen is captured
 * while the command runs: the progress line shows up before the first
 * batch is committed ("decoding"/"encoding" at 0/N), never gets wider than
 * the terminal, never leaves a second line behind, and is gone at the end.
 * Without a terminal: plain lines, or none with --progress=none / -q. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/e2e/e2e_util.h"

#define N_IMAGES 4

static e2e_ws ws;
static char dir[700];

/* N_IMAGES distinct large JPEGs (bytes appended after the image), so each
 * is decoded: slow enough (--exact, one thread) to watch. */
static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(dir, sizeof dir, "%s/big", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && for i in $(seq 1 %d); do { cat "
                        "'%s/images/edge/large-4000x3000.jpg'; echo $i; } > "
                        "'%s/holiday photo number '$i' from the long summer "
                        "trip to the sea.jpg'; done",
                        dir, N_IMAGES, ws.fixtures, dir),
                 0);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_progress, .init = setup, .fini = teardown, .timeout = 180);

/* Display columns of a UTF-8 line (the only wide-ish text is "…"). */
static int columns(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

static int is_progress_line(const char *l, size_t len)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)len, l);
    return strstr(buf, "/4 images") || strstr(buf, "files found");
}

typedef struct watch {
    int screens, early, max_progress_lines;
    char final[8192];
    char sample[8192]; /* the last screen with a progress line */
} watch;

/* Checks one captured screen; 1 once the command has finished. */
static int check_screen(const char *screen, int width, watch *w)
{
    int progress = 0;
    for (const char *l = screen; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        /* Other output wraps; the progress line must never reach the
         * last column (a terminal would wrap it and leave a line). */
        cr_assert_leq(columns(l, len), width);
        if (is_progress_line(l, len)) {
            cr_assert_lt(columns(l, len), width,
                         "progress line wider than %d: "
                         "'%.*s'",
                         width, (int)len, l);
            progress++;
        }
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, l);
        if (strstr(buf, "0/4 images") &&
            (strstr(buf, "decoding") || strstr(buf, "encoding")))
            w->early = 1;
        l += len + (nl != NULL);
    }
    if (progress > w->max_progress_lines) w->max_progress_lines = progress;
    if (progress) snprintf(w->sample, sizeof w->sample, "%s", screen);
    w->screens++;
    return strstr(screen, "END-OF-RUN") != NULL;
}

static void watch_add(int width, watch *w)
{
    char sock[64], cmd[4096];
    snprintf(sock, sizeof sock, "vlm-progress-%d-%d", (int)getpid(), width);
    snprintf(cmd, sizeof cmd,
             "tmux -L %s new-session -d -x %d -y 12 \"env LANG=C.UTF-8 "
             "'%s/bin/vlmindex' add -C '%s' -M '%s' '%s' -j 1 --exact -b %d; "
             "echo END-OF-RUN; sleep 120\"",
             sock, width, getenv("VLM_BUILD_DIR"), ws.coll, ws.model, dir,
             N_IMAGES);
    cr_assert_eq(e2e_sh("%s", cmd), 0, "tmux did not start");
    memset(w, 0, sizeof *w);
    int done = 0;
    for (int i = 0; i < 1200 && !done; i++) { /* up to 2 minutes */
        char capture[256];
        snprintf(capture, sizeof capture, "tmux -L %s capture-pane -p", sock);
        FILE *p = popen(capture, "r");
        cr_assert_not_null(p);
        size_t n = fread(w->final, 1, sizeof w->final - 1, p);
        w->final[n] = 0;
        pclose(p);
        done = check_screen(w->final, width, w);
        if (!done) usleep(100 * 1000);
    }
    e2e_sh("tmux -L %s kill-server", sock);
    cr_assert(done, "the run did not finish: %s", w->final);
}

static void check_terminal(int width)
{
    if (e2e_sh("command -v tmux > /dev/null"))
        cr_skip_test("tmux is not installed (scripts/debian-packages.txt)");
    watch w;
    watch_add(width, &w);
    cr_assert(w.early,
              "no progress line at 0/%d while decoding/encoding (%d screens)",
              N_IMAGES, w.screens);
    cr_assert_leq(w.max_progress_lines, 1, "progress lines stacked up");
    /* The end: the summary alone, no leftover progress line. */
    const char *s = w.final;
    while (*s == '\n') s++;
    cr_assert(!strncmp(s, "added 4, ", 9), "final screen:\n%s", w.final);
    cr_assert_eq(is_progress_line(s, strlen(s)), 0, "left behind:\n%s",
                 w.final);
    /* Kept for the record: build/test-artifacts/progress-<width>.txt. */
    char out[700];
    snprintf(out, sizeof out, "%s/test-artifacts", getenv("VLM_BUILD_DIR"));
    e2e_sh("mkdir -p '%s'", out);
    snprintf(out + strlen(out), sizeof out - strlen(out), "/progress-%d.txt",
             width);
    FILE *f = fopen(out, "w");
    if (f) {
        fprintf(f, "during the run:\n%s\nat the end:\n%s", w.sample, w.final);
        fclose(f);
    }
}

Test(cli_progress, tty_80_columns) { check_terminal(80); }

Test(cli_progress, tty_40_columns) { check_terminal(40); }

static e2e_run add(const char *opt)
{
    const char *args[] = {"add", "-C", ws.coll, "-M", ws.model,
                          dir,   "-b", "2",     opt,  NULL};
    return e2e_exec("vlmindex", args);
}

Test(cli_progress, plain_lines_without_a_terminal)
{
    e2e_run r = add("--progress=auto"); /* stderr is a file: plain */
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "progress: "), "%s", r.err);
    cr_assert_null(strchr(r.err, '\r'), "carriage return in a log: %s", r.err);
    cr_assert_null(strchr(r.err, '\033'), "escape in a log: %s", r.err);
    e2e_run_free(&r);
    const char *quiet[] = {"--progress=none", "-q"};
    for (int i = 0; i < 2; i++) {
        e2e_sh("rm -rf '%s'", ws.coll);
        r = add(quiet[i]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_null(strstr(r.err, "progress"), "%s: %s", quiet[i], r.err);
        cr_assert_not_null(strstr(r.out, "added 4,"), "%s", r.out);
        e2e_run_free(&r);
    }
}
