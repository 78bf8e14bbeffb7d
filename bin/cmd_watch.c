/* vlmindex watch: keep the collection's roots in step until Ctrl-C. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cmd_watch.h"
#include "bin/commands.h"
#include "indexer/watch.h"

static const char watch_usage[] =
    "usage: vlmindex watch [options] [PATH...]\n"
    "  Keeps every root of the collection in step (inotify; PATHs are added "
    "as\n"
    "  roots first) until Ctrl-C.  Offline roots keep their rows.\n" WATCH_USAGE
    "  -x, --exclude GLOB   skip files/folders matching GLOB (repeatable)\n"
    "  -b, --batch N        images per forward pass (default 16)\n"
    "  -w, --window W       DICOM VOI window (see vlmindex add --help)\n"
    "  -C, --collection DIR -M, --model DIR|NAME  -T, --tokenizer DIR\n"
    "  -j, --threads N      --bf16   --offline   -q, --quiet\n";

int watch_args_option(watch_args *a, int opt, const char *arg)
{
    switch (opt) {
    case WATCH_OPT_DEBOUNCE: a->w.debounce_ms = atoi(arg); return 1;
    case WATCH_OPT_SETTLE: a->w.settle_ms = atoi(arg); return 1;
    case WATCH_OPT_MAX_DELAY: a->w.max_delay_ms = atoi(arg); return 1;
    case WATCH_OPT_RESCAN: a->w.rescan_s = atoi(arg); return 1;
    case WATCH_OPT_POLL: a->w.poll = true; return 1;
    case WATCH_OPT_NO_INITIAL: a->w.no_initial = true; return 1;
    case 'x':
        if (a->n_excludes < 64) a->excludes[a->n_excludes++] = arg;
        return 1;
    case 'b': a->batch = atoi(arg); return 1;
    case 'w': {
        char err[VLM_ERR_MAX];
        if (!dicom_window_parse(arg, &a->window, err)) return 1;
        cli_error(err);
        return -1;
    }
    }
    return 0;
}

static void print_summary_line(const indexer_summary *s)
{
    fprintf(stderr,
            "added %lld, updated %lld, moved %lld, copied %lld, removed %lld, "
            "failed %lld",
            (long long)s->added, (long long)s->updated, (long long)s->moved,
            (long long)s->copied, (long long)s->removed, (long long)s->failed);
}

void watch_print_event(void *user, const watch_event *e)
{
    const watch_args *a = user;
    if (a->quiet && e->kind == WATCH_PASS) return;
    switch (e->kind) {
    case WATCH_READY:
        fprintf(stderr, "watching %d root(s), %d polled every %d s\n", e->roots,
                e->polled, a->w.rescan_s > 0 ? a->w.rescan_s : 300);
        break;
    case WATCH_PASS:
        fprintf(stderr, "pass over %d path(s): ", e->paths);
        print_summary_line(&e->delta);
        if (e->unsettled)
            fprintf(stderr, "; %d file(s) still being written", e->unsettled);
        fputc('\n', stderr);
        break;
    case WATCH_ROOT_OFFLINE:
        fprintf(stderr, "root offline (its rows are kept): %s\n", e->path);
        break;
    case WATCH_ROOT_ONLINE:
        fprintf(stderr, "root back online: %s\n", e->path);
        break;
    case WATCH_POLLING:
        fprintf(stderr, "polling %s (%s)\n", e->path, e->message);
        break;
    }
    fflush(stderr);
}

indexer_options watch_indexer_options(watch_args *a, int decode_threads)
{
    return (indexer_options){
        .excludes = a->excludes,
        .n_excludes = a->n_excludes,
        .batch_size = a->batch,
        .decode_threads = decode_threads,
        .window = a->window,
        .cancel = &cli_cancel,
    };
}

static int parse(int argc, char **argv, cli_common *common, watch_args *a)
{
    static const struct option longopts[] = {
        WATCH_LONGOPTS,
        {"exclude", required_argument, 0, 'x'},
        {"batch", required_argument, 0, 'b'},
        {"window", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    cli_common_init(common);
    common->fp32 = VLM_PREC_F32_PACKED;
    int opt;
    while ((opt = getopt_long(argc, argv, "x:b:w:h" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        if (cli_common_option(common, opt, optarg)) continue;
        int r = watch_args_option(a, opt, optarg);
        if (r) {
            if (r < 0) return -1;
            continue;
        }
        if (opt == 'h') {
            fputs(watch_usage, stdout);
            exit(0);
        }
        fputs(watch_usage, stderr);
        return -1;
    }
    a->quiet = common->quiet;
    return 0;
}

int cmd_watch(int argc, char **argv)
{
    cli_common common;
    watch_args a = {0};
    char err[VLM_ERR_MAX] = "";
    if (parse(argc, argv, &common, &a)) return EXIT_ERROR;
    cli_install_signal_handlers();
    session *s = NULL;
    session_config cfg = cli_session_config(
        &common, SESSION_WRITE, SESSION_INDEX_IF_BOUND, CLIP_PART_ALL);
    cfg.fetch_default = true;
    int rc = session_open(&cfg, &s, err);
    cli_progress_done(common.quiet);
    indexer_options o = watch_indexer_options(&a, common.threads);
    indexer_summary sum = {0};
    if (!rc && optind < argc)
        rc = indexer_add(session_collection(s), session_index(s),
                         session_model(s), (const char *const *)argv + optind,
                         argc - optind, &o, &sum, err);
    a.w.on_event = watch_print_event;
    a.w.user = &a;
    if (!rc)
        rc = indexer_watch(session_collection(s), session_index(s),
                           session_model(s), &a.w, &o, &sum, err);
    session_close(s);
    return cli_exit_code(rc, err);
}
