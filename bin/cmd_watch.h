/* cmd_watch.h — the watch options `vlmindex watch` and `serve --watch`
 * share, and how watch events are printed. */
#ifndef VLM_CMD_WATCH_H
#define VLM_CMD_WATCH_H

#include "bin/cli_args.h"
#include "indexer/watch.h"

/* The watch options of a command.  Its args struct must begin with this
 * struct: the rows of watch_cli_opts are offsets into it. */
typedef struct watch_args {
    int debounce_ms, max_delay_ms, settle_ms, rescan_s, poll, no_initial;
    int batch;
    dicom_window window;
} watch_args;

extern const cli_opt watch_cli_opts[];

watch_options watch_args_options(const watch_args *a);

/* The indexer options the args describe (cancel: cli_cancel). */
indexer_options watch_indexer_options(const watch_args *a, int decode_threads);

/* watch_options.on_event for `vlmindex watch` (user: an int *, quiet):
 * one line on stderr per event. */
void watch_print_event(void *user, const watch_event *e);

#endif
