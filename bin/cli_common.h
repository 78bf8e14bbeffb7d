/*
 * cli_common.h — what both CLIs share: the common options and how they
 * become a session, the progress line, Ctrl-C handling, exit codes.
 */
#ifndef VLM_CLI_COMMON_H
#define VLM_CLI_COMMON_H

#include <signal.h>
#include <stdint.h>

#include "bin/cli_args.h"
#include "bin/cli_progress.h"
#include "query/result_format.h"
#include "session/session.h"

/* Exit codes (documented in every --help, the README and the man pages). */
enum {
    EXIT_RESULTS = 0,      /* success; for searches: results printed */
    EXIT_NO_RESULTS = 1,   /* nothing found (no results, no models) */
    EXIT_ERROR = 2,        /* bad option or argument, or the command failed */
    EXIT_INTERRUPTED = 130 /* Ctrl-C / SIGTERM; committed work is kept */
};

/* Options common to every command that touches a collection or a model. */
#define CLI_MAX_COLLECTIONS 256

typedef struct cli_common {
    const char *collection; /* --collection DIR (the last one given) */
    /* Every --collection in order: vlmsearch searches them all. */
    const char *collections[CLI_MAX_COLLECTIONS];
    int n_collections;
    const char *model;     /* --model DIR|NAME */
    const char *tokenizer; /* --tokenizer DIR */
    int threads;           /* --threads N */
    int bf16;              /* --bf16 */
    vlm_precision fp32;    /* fp32 flavour: F32 (mapped, fast load; queries)
                               or F32_PACKED (faster GEMMs; indexing) */
    int offline;           /* --offline or VLMINDEX_OFFLINE=1 */
    int quiet;             /* -q */
    int progress;          /* --progress: cli_progress_mode */
    int help;              /* -h, --help (handled by cli_parse) */
    int no_wait;           /* --no-wait: fail if another writer is busy */
    int nprobe, refine;    /* --nprobe, --refine (searches); 0 = default */
    const char *command;   /* e.g. "vlmindex add": shown to other writers */
} cli_common;

void cli_common_init(cli_common *o);

/* Ctrl-C / SIGTERM set this; a second Ctrl-C kills the process. */
extern volatile sig_atomic_t cli_cancel;
void cli_install_signal_handlers(void);

/* The session the options describe; downloads show a progress line. */
session_config cli_session_config(const cli_common *o, session_access access,
                                  session_index_mode index, int parts);

/* cli_session_config + session_open. */
int cli_open_session(const cli_common *o, session_access access,
                     session_index_mode index, int parts, session **s,
                     char *err);

/* Download progress for session_fetch_hooks (user: the cli_common):
 * MB so far, MB/s and ETA on the progress display. */
int cli_fetch_progress(void *user, uint64_t done, uint64_t total,
                       const char *file);

/* With --bf16 on a CPU without a native bf16 matmul, says once on stderr
 * that bf16 is emulated (unless -q). */
void cli_note_precision(const cli_common *o);

/* "<prog> <version>", then the build options and the instruction-set paths
 * in use (model/core/build_info.h), to stdout (--version). */
void cli_print_version(const char *prog);

/* "error: <msg>" to stderr. */
void cli_error(const char *msg);

/* Exit code for a library status: 0; 130 after Ctrl-C (message printed);
 * EXIT_ERROR with "error: err" otherwise. */
int cli_exit_code(int status, const char *err);

/* CLI_OPT_PARSE: a path that must exist (stored as given), e.g. --in. */
int cli_parse_existing_path(const char *text, void *field, char *err);

/* The global options every command takes (their fields: cli_common), and
 * the exit-status paragraph every --help ends with. */
extern const cli_opt cli_common_opts[];
extern const char cli_exit_status_help[];

/* --no-wait, for the tables of commands that change a collection (they
 * take its writer lock).  Offsets are into cli_common, so the command's
 * args struct must begin with its cli_common (every one does). */
extern const cli_opt cli_writer_opts[];

/* --nprobe and --refine, for the tables of commands that search (vlmsearch,
 * serve): the approximate index's recall against latency. */
extern const cli_opt cli_index_opts[];

#endif
