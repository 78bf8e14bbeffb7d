#include "bin/cli_progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "bin/cli_common.h"

#define TICK_MS 200 /* redraw period: comfortably under 250 ms */

const char *const cli_progress_modes[] = {"auto", "tty", "plain", "none", NULL};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, stop, mode, drawn;
    const char *unit, *phase;
    char name[1024], last_name[1024];
    int64_t done, total, done0;
    double elapsed, t0, last_plain;
} P = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .mode = CLI_PROGRESS_NONE};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cli_progress_setup(const cli_common *o)
{
    int mode = o->quiet ? CLI_PROGRESS_NONE : o->progress;
    if (mode == CLI_PROGRESS_AUTO)
        mode = isatty(2) ? CLI_PROGRESS_TTY : CLI_PROGRESS_PLAIN;
    P.mode = mode;
}

static int utf8_terminal(void)
{
    const char *v = getenv("LC_ALL");
    if (!v || !*v) v = getenv("LC_CTYPE");
    if (!v || !*v) v = getenv("LANG");
    return v && (strcasestr(v, "utf-8") || strcasestr(v, "utf8"));
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 0 ? n : 80;
}

/* Display columns of UTF-8 text (escaped text: always valid UTF-8). */
static int columns(const char *s)
{
    int w = 0;
    utf8proc_int32_t cp;
    for (utf8proc_ssize_t k; *s; s += k > 0 ? k : 1) {
        k = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
        if (k > 0) w += utf8proc_charwidth(cp);
    }
    return w;
}

/* The tail of s that fits in cols columns, after an ellipsis. */
static void fit_tail(const char *s, int cols, char *out, size_t cap)
{
    const char *ell = utf8_terminal() ? "\xe2\x80\xa6" : "...";
    int ell_w = utf8_terminal() ? 1 : 3;
    if (columns(s) <= cols) {
        snprintf(out, cap, "%s", s);
        return;
    }
    while (*s && columns(s) > cols - ell_w) {
        s++;
        while ((*s & 0xc0) == 0x80) s++; /* to the next character */
    }
    snprintf(out, cap, "%s%s", cols >= ell_w ? ell : "", s);
}

static void format_count(char *out, size_t n, int64_t v, const char *unit)
{
    if (unit)
        snprintf(out, n, "%lld", (long long)v);
    else
        snprintf(out, n, "%.1f", (double)v / 1e6);
}

static void format_eta(char *out, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "ETA %ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, n, "ETA %ld:%02ld", t / 60, t % 60);
}

/* The rate of the current unit: done per second of work. */
static double rate(void)
{
    double el = P.elapsed > 0 ? P.elapsed : now() - P.t0;
    int64_t d = P.elapsed > 0 ? P.done : P.done - P.done0;
    return el > 0.05 && d > 0 ? (double)d / el : 0;
}

typedef struct parts {
    char count[128], rate[48], eta[32], phase[48], bar[40];
} parts;

static void make_parts(parts *p, int with_bar)
{
    char d[32], t[32];
    double r = rate();
    format_count(d, sizeof d, P.done, P.unit);
    format_count(t, sizeof t, P.total, P.unit);
    if (P.total > 0)
        snprintf(p->count, sizeof p->count, "%s/%s %s", d, t,
                 P.unit ? P.unit : "MB");
    else
        snprintf(p->count, sizeof p->count, "%s %s", d, P.unit ? P.unit : "MB");
    if (r > 0 && P.unit)
        snprintf(p->rate, sizeof p->rate, "%.1f/s", r);
    else if (r > 0)
        snprintf(p->rate, sizeof p->rate, "%.1f MB/s", r / 1e6);
    else
        p->rate[0] = 0;
    p->eta[0] = 0;
    if (r > 0 && P.total > P.done)
        format_eta(p->eta, sizeof p->eta, (double)(P.total - P.done) / r);
    snprintf(p->phase, sizeof p->phase, "%s%s", P.phase ? P.phase : "",
             P.phase ? (utf8_terminal() ? "\xe2\x80\xa6" : "...") : "");
    int fill = P.total > 0 ? (int)(with_bar * P.done / P.total) : 0;
    p->bar[0] = '[';
    for (int i = 0; i < with_bar; i++) p->bar[1 + i] = i < fill ? '#' : '.';
    snprintf(p->bar + 1 + with_bar, 3, "]");
    if (P.total <= 0) p->bar[0] = 0; /* nothing to measure against yet */
}

enum {
    PART_BAR,
    PART_COUNT,
    PART_RATE,
    PART_ETA,
    PART_PHASE,
    PART_NAME,
    N_PARTS
};

/* The tty line for `width` columns: never wider than width - 1.  Parts go
 * in by priority (count, phase, rate, ETA, bar, then the name in what is
 * left), and are shown in display order, two spaces apart. */
static void format_tty(char *line, size_t cap, int width)
{
    static const int priority[] = {PART_COUNT, PART_PHASE, PART_RATE, PART_ETA,
                                   PART_BAR};
    parts p;
    char name[1100] = "";
    int room = width - 1, used = 0, bar = room >= 60 ? 20 : 10;
    make_parts(&p, bar);
    const char *text[N_PARTS] = {p.bar, p.count, p.rate, p.eta, p.phase, name};
    int on[N_PARTS] = {0};
    for (int i = 0; i < 5; i++) {
        int k = priority[i], w = columns(text[k]) + (used ? 2 : 0);
        if (*text[k] && used + w <= room) on[k] = 1, used += w;
    }
    if (P.name[0] && room - used - 2 >= 8) {
        fit_tail(P.name, room - used - 2, name, sizeof name);
        on[PART_NAME] = 1;
    }
    line[0] = 0;
    for (int k = 0, first = 1; k < N_PARTS; k++) {
        if (!on[k]) continue;
        size_t len = strlen(line);
        snprintf(line + len, cap - len, "%s%s", first ? "" : "  ", text[k]);
        first = 0;
    }
}

static void draw_tty(void)
{
    char line[2048];
    format_tty(line, sizeof line, term_width());
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    P.drawn = 1;
}

static void draw_plain(void)
{
    parts p;
    make_parts(&p, 0);
    const char *text[] = {p.count, p.rate, p.eta, p.phase};
    fputs("progress:", stderr);
    for (int i = 0, first = 1; i < 4; i++)
        if (*text[i]) {
            fprintf(stderr, "%s %s", first ? "" : ",", text[i]);
            first = 0;
        }
    if (P.name[0]) fprintf(stderr, " (%s)", P.name);
    fputc('\n', stderr);
    P.last_plain = now();
}

static void draw(void)
{
    if (P.mode == CLI_PROGRESS_TTY) draw_tty();
    if (P.mode == CLI_PROGRESS_PLAIN &&
        now() - P.last_plain >= CLI_PROGRESS_PLAIN_S)
        draw_plain();
}

static void *run(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&P.lock);
    while (!P.stop) {
        draw();
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&P.wake, &P.lock, &until);
    }
    pthread_mutex_unlock(&P.lock);
    return NULL;
}

void cli_progress_update(const cli_status *st)
{
    if (P.mode == CLI_PROGRESS_NONE) return;
    pthread_mutex_lock(&P.lock);
    /* A new display, or the next file of a download: the rate starts over. */
    int next_file = !st->unit && st->name && strcmp(st->name, P.last_name);
    if (next_file) snprintf(P.last_name, sizeof P.last_name, "%s", st->name);
    if (!P.running || P.unit != st->unit || next_file) {
        P.t0 = now();
        P.done0 = st->done;
        P.last_plain = -1e9;
    }
    P.unit = st->unit;
    P.done = st->done;
    P.total = st->total;
    P.elapsed = st->elapsed;
    P.phase = st->phase;
    if (st->name)
        text_escape(P.name, sizeof P.name,
                    strrchr(st->name, '/') ? strrchr(st->name, '/') + 1
                                           : st->name,
                    TEXT_ESCAPED);
    if (!P.running) {
        P.stop = 0;
        P.running = !pthread_create(&P.thread, NULL, run, NULL);
    }
    pthread_mutex_unlock(&P.lock);
}

static void clear_line(void)
{
    if (P.drawn) fputs("\r\033[K", stderr);
    P.drawn = 0;
}

void cli_progress_note(const char *prefix, const char *msg)
{
    pthread_mutex_lock(&P.lock);
    clear_line();
    fputs(prefix, stderr);
    text_write(stderr, msg, TEXT_DISPLAY);
    fputc('\n', stderr);
    pthread_mutex_unlock(&P.lock);
}

void cli_progress_hold(void)
{
    pthread_mutex_lock(&P.lock);
    clear_line();
    fflush(stderr);
}

void cli_progress_release(void)
{
    fflush(stdout);
    pthread_mutex_unlock(&P.lock);
}

void cli_progress_end(void)
{
    pthread_mutex_lock(&P.lock);
    int was = P.running;
    P.stop = 1;
    pthread_cond_signal(&P.wake);
    pthread_mutex_unlock(&P.lock);
    if (was) pthread_join(P.thread, NULL);
    pthread_mutex_lock(&P.lock);
    clear_line();
    fflush(stderr);
    P.running = 0;
    P.name[0] = 0;
    pthread_mutex_unlock(&P.lock);
}
