/* cmd_watch.h — the watch options `vlmindex watch` and `serve --watch`
 * share, and how watch events are printed. */
#ifndef VLM_CMD_WATCH_H
#define VLM_CMD_WATCH_H

#include <getopt.h>

#include "indexer/watch.h"

typedef struct watch_args {
    watch_options w;
    const char *excludes[64];
    int n_excludes;
    int batch;
    dicom_window window;
    int quiet;
} watch_args;

enum {
    WATCH_OPT_DEBOUNCE = 0x1000,
    WATCH_OPT_SETTLE,
    WATCH_OPT_MAX_DELAY,
    WATCH_OPT_RESCAN,
    WATCH_OPT_POLL,
    WATCH_OPT_NO_INITIAL,
};

#define WATCH_LONGOPTS                                            \
    {"debounce", required_argument, 0, WATCH_OPT_DEBOUNCE},       \
        {"settle", required_argument, 0, WATCH_OPT_SETTLE},       \
        {"max-delay", required_argument, 0, WATCH_OPT_MAX_DELAY}, \
        {"rescan", required_argument, 0, WATCH_OPT_RESCAN},       \
        {"poll", no_argument, 0, WATCH_OPT_POLL},                 \
    {                                                             \
        "no-initial-scan", no_argument, 0, WATCH_OPT_NO_INITIAL   \
    }

#define WATCH_USAGE                                                           \
    "      --debounce MS    quiet time after changes before a pass (500)\n"   \
    "      --max-delay MS   a pass at least this often during a burst "       \
    "(5000)\n"                                                                \
    "      --settle MS      files modified less than MS ago wait (2000)\n"    \
    "      --rescan S       rescan interval of roots inotify cannot see\n"    \
    "                       (network file systems) (300)\n"                   \
    "      --poll           no inotify: rescan every root every --rescan S\n" \
    "      --no-initial-scan  skip the catch-up pass at start\n"

/* 1 when opt was a watch option (or -x/-b/-w), 0 when not, -1 on a bad
 * value (message printed). */
int watch_args_option(watch_args *a, int opt, const char *arg);

/* watch_options.on_event for the CLIs (user: the watch_args): stderr. */
void watch_print_event(void *user, const watch_event *e);

/* The indexer options the watch args describe (cancel: cli_cancel). */
indexer_options watch_indexer_options(watch_args *a, int decode_threads);

#endif
