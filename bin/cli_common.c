#include "bin/cli_common.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t cli_cancel = 0;

#define COMMON(field) offsetof(cli_common, field)

const cli_opt cli_common_opts[] = {
    CLI_OPT_TEXT('C', "collection", COMMON(collection), "DIR",
                 "the collection (default: $VLMINDEX_COLLECTION, else\n"
                 "$XDG_DATA_HOME/vlmindex/collection)"),
    CLI_OPT_TEXT('M', "model", COMMON(model), "DIR|NAME",
                 "a checkpoint folder or an installed model name\n"
                 "(default: the one the collection was built with)"),
    CLI_OPT_TEXT('T', "tokenizer", COMMON(tokenizer), "DIR",
                 "tokenizer files, when not in the model folder"),
    CLI_OPT_INT('j', "threads", COMMON(threads), "N", 0, 1024,
                "threads for the model (0 = all cores)"),
    CLI_OPT_FLAG(0, "bf16", COMMON(bf16),
                 "bf16 weights: faster on CPUs with AVX-512 BF16"),
    CLI_OPT_FLAG(0, "offline", COMMON(offline),
                 "never use the network (also VLMINDEX_OFFLINE=1)"),
    CLI_OPT_FLAG('q', "quiet", COMMON(quiet),
                 "no progress, notes or summaries"),
    CLI_OPT_FLAG('h', "help", COMMON(help), "show this help and exit"),
    CLI_OPT_END};

const cli_opt cli_writer_opts[] = {
    CLI_OPT_FLAG(0, "no-wait", COMMON(no_wait),
                 "fail at once if another command is changing the\n"
                 "collection (default: wait for it)"),
    CLI_OPT_END};

const char cli_exit_status_help[] =
    "Exit status: 0 success (searches: results printed); 1 nothing found\n"
    "(no results, no models); 2 error (a bad option or argument, a missing\n"
    "collection or model, a failed command); 130 interrupted by Ctrl-C or\n"
    "SIGTERM (work committed so far is kept).\n";

static void on_signal(int sig)
{
    if (cli_cancel) { /* second Ctrl-C: stop now (SQLite stays consistent) */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cli_cancel = 1;
}

void cli_install_signal_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_common_init(cli_common *o)
{
    memset(o, 0, sizeof *o);
    const char *off = getenv("VLMINDEX_OFFLINE");
    o->offline = off && *off && strcmp(off, "0");
}

void cli_print_version(const char *prog)
{
    printf("%s %s\n", prog, VLMINDEX_VERSION);
}

void cli_error(const char *msg) { fprintf(stderr, "error: %s\n", msg); }

int cli_exit_code(int status, const char *err)
{
    if (status == VLM_EINTERRUPTED) {
        fprintf(stderr, "%s\n", err);
        return EXIT_INTERRUPTED;
    }
    if (status) cli_error(err);
    return status ? EXIT_ERROR : 0;
}

static void announce_download(void *user, const char *repo)
{
    (void)user;
    fprintf(stderr,
            "No model installed. Downloading the default model %s "
            "(about 605 MB, once) — use --model DIR to use a local checkpoint "
            "instead.\n",
            repo);
}

static void announce_wait(void *user, const char *dir, const char *holder)
{
    const cli_common *o = user;
    if (o->quiet) return;
    fprintf(stderr,
            "waiting: collection %s is being changed by %s (Ctrl-C to stop, "
            "--no-wait to fail at once)\n",
            dir, holder);
}

session_config cli_session_config(const cli_common *o, session_access access,
                                  session_index_mode index, int parts)
{
    session_config cfg = session_config_default();
    cfg.collection = o->collection;
    cfg.access = access;
    cfg.index = index;
    cfg.parts = parts;
    cfg.model = o->model;
    cfg.tokenizer = o->tokenizer;
    cfg.threads = o->threads;
    cfg.precision = o->bf16 ? VLM_PREC_BF16 : o->fp32;
    cfg.offline = o->offline;
    cfg.fetch = (session_fetch_hooks){.announce = announce_download,
                                      .progress = cli_fetch_progress,
                                      .user = (void *)o};
    cfg.no_wait = o->no_wait;
    cfg.cancel = &cli_cancel;
    cfg.writer = o->command ? o->command : "vlmindex";
    cfg.lock_waiting = announce_wait;
    cfg.lock_user = (void *)o;
    return cfg;
}

int cli_open_session(const cli_common *o, session_access access,
                     session_index_mode index, int parts, session **s,
                     char *err)
{
    session_config cfg = cli_session_config(o, access, index, parts);
    return session_open(&cfg, s, err);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double last_draw;
static int drawn;

void cli_progress(int quiet, int64_t done, int64_t total, double elapsed,
                  const char *what)
{
    if (quiet || !isatty(2)) return;
    double t = now();
    if (done < total && t - last_draw < 0.1) return;
    last_draw = t;
    drawn = 1;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)(width * done / total) : 0;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    const char *name = what ? strrchr(what, '/') : NULL;
    fprintf(stderr, "\r\033[K[%s] %lld/%lld  %.1f/s  ETA %d:%02d  %.40s", bar,
            (long long)done, (long long)total, rate, (int)eta / 60,
            (int)eta % 60, name ? name + 1 : (what ? what : ""));
    fflush(stderr);
}

void cli_progress_done(int quiet)
{
    if (!quiet && drawn && isatty(2)) fputs("\r\033[K", stderr);
    drawn = 0;
}

int cli_fetch_progress(void *user, uint64_t done, uint64_t total,
                       const char *file)
{
    const cli_common *o = user;
    static double t0;
    if (!t0) t0 = now();
    cli_progress(o->quiet, (int64_t)(done >> 20), (int64_t)(total >> 20),
                 now() - t0, file);
    return cli_cancel;
}
