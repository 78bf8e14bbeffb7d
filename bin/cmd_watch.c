/* vlmindex watch: keep the collection's roots in step until Ctrl-C. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cmd_watch.h"
#include "bin/commands.h"

#define WA(field) offsetof(watch_args, field)

static int parse_window(const char *text, void *field, char *err)
{
    return dicom_window_parse(text, field, err);
}

const cli_opt watch_cli_opts[] = {
    CLI_OPT_SECTION("Watching folders:"),
    CLI_OPT_INT(0, "debounce", WA(debounce_ms), "MS", 10, 600000,
                "quiet time after changes before a pass (500)"),
    CLI_OPT_INT(0, "max-delay", WA(max_delay_ms), "MS", 100, 3600000,
                "a pass at least this often during a burst (5000)"),
    CLI_OPT_INT(0, "settle", WA(settle_ms), "MS", 1, 3600000,
                "files modified less than MS ago wait (2000)"),
    CLI_OPT_INT(0, "rescan", WA(rescan_s), "S", 1, 604800,
                "rescan interval of roots inotify cannot see into\n"
                "(network file systems) (300)"),
    CLI_OPT_FLAG(0, "poll", WA(poll),
                 "no inotify: rescan every root every --rescan S"),
    CLI_OPT_FLAG(0, "no-initial-scan", WA(no_initial),
                 "skip the catch-up pass over every root at start"),
    CLI_OPT_INT('b', "batch", WA(batch), "N", 1, 256,
                "images per forward pass (default 16)"),
    CLI_OPT_PARSE('w', "window", WA(window), "W", parse_window,
                  "DICOM VOI window (see vlmindex add --help)"),
    CLI_OPT_END};

watch_options watch_args_options(const watch_args *a)
{
    return (watch_options){.debounce_ms = a->debounce_ms,
                           .max_delay_ms = a->max_delay_ms,
                           .settle_ms = a->settle_ms,
                           .rescan_s = a->rescan_s,
                           .poll = a->poll,
                           .no_initial = a->no_initial};
}

indexer_options watch_indexer_options(const watch_args *a, int decode_threads)
{
    return (indexer_options){
        .batch_size = a->batch,
        .decode_threads = decode_threads,
        .window = a->window,
        .cancel = &cli_cancel,
    };
}

static void print_summary_line(const indexer_summary *s)
{
    fprintf(stderr,
            "added %lld, updated %lld, moved %lld, copied %lld, removed %lld, "
            "failed %lld",
            (long long)s->added, (long long)s->updated, (long long)s->moved,
            (long long)s->copied, (long long)s->removed, (long long)s->failed);
}

/* "<what><path>[ (<why>)]", the path and the reason escaped. */
static void print_path_line(const char *what, const char *path, const char *why)
{
    fputs(what, stderr);
    text_write(stderr, path, TEXT_DISPLAY);
    if (why) {
        fputs(" (", stderr);
        text_write(stderr, why, TEXT_DISPLAY);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
}

void watch_print_event(void *user, const watch_event *e)
{
    const int *quiet = user;
    if (*quiet && e->kind == WATCH_PASS) return;
    switch (e->kind) {
    case WATCH_READY:
        fprintf(stderr, "watching %d root(s), %d of them polled\n", e->roots,
                e->polled);
        break;
    case WATCH_PASS:
        fprintf(stderr, "pass over %d path(s): ", e->paths);
        print_summary_line(&e->delta);
        if (e->unsettled)
            fprintf(stderr, "; %d file(s) still being written", e->unsettled);
        fputc('\n', stderr);
        break;
    case WATCH_ROOT_OFFLINE:
        print_path_line("root offline (its rows are kept): ", e->path, NULL);
        break;
    case WATCH_ROOT_ONLINE:
        print_path_line("root back online: ", e->path, NULL);
        break;
    case WATCH_POLLING: print_path_line("polling ", e->path, e->message); break;
    }
    fflush(stderr);
}

typedef struct watch_cmd_args {
    watch_args watch; /* first: watch_cli_opts point into it */
    cli_common common;
} watch_cmd_args;

static const cli_opt *const watch_tables[] = {watch_cli_opts, cli_writer_opts,
                                              NULL};

static const cli_command watch_cmd = {
    .name = "vlmindex watch",
    .synopsis = "[options] [PATH...]",
    .about =
        "Keeps every root of the collection in step until Ctrl-C: inotify,\n"
        "bursts debounced, moved files keep their vector, files still being\n"
        "written wait, network file systems are rescanned, offline roots\n"
        "keep their rows.  PATHs are added (as by add) first.  What the\n"
        "walk skips is each root's excludes (vlmindex exclude).",
    .tables = watch_tables,
    .max_args = -1,
    .args_name = "folder or file",
};

static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user, (void)path;
    cli_progress_note("failed: ", reason);
}

static int run_watch(watch_cmd_args *a, char **paths, int n)
{
    char err[VLM_ERR_MAX] = "";
    cli_install_signal_handlers();
    session *s = NULL;
    session_config cfg = cli_session_config(
        &a->common, SESSION_WRITE, SESSION_INDEX_IF_BOUND, CLIP_PART_ALL);
    cfg.fetch_default = true;
    cli_progress_setup(&a->common);
    int rc = session_open(&cfg, &s, err);
    cli_progress_end();
    if (!rc) cli_note_precision(&a->common);
    indexer_options o = watch_indexer_options(&a->watch, a->common.threads);
    o.on_failure = on_failure;
    indexer_summary sum = {0};
    if (!rc && n)
        rc = indexer_add(session_collection(s), session_index(s),
                         session_model(s), (const char *const *)paths, n, &o,
                         &sum, err);
    watch_options w = watch_args_options(&a->watch);
    w.on_event = watch_print_event;
    w.user = &a->common.quiet;
    if (!rc)
        rc = indexer_watch(session_collection(s), session_index(s),
                           session_model(s), &w, &o, &sum, err);
    session_close(s);
    return cli_exit_code(rc, err);
}

int cmd_watch(int argc, char **argv)
{
    watch_cmd_args a;
    cli_positional pos;
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    a.common.fp32 = VLM_PREC_F32_PACKED;
    if (!cli_parse(&watch_cmd, argc, argv, &a, &a.common, &pos, &code))
        code = run_watch(&a, pos.v, pos.n);
    cli_args_free(&watch_cmd, &a, &pos);
    return code;
}
