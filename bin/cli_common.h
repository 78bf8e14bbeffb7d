/*
 * cli_common.h — what both CLIs share: locating the collection and the
 * model, opening them, the progress line, Ctrl-C handling, exit codes.
 */
#ifndef VLM_CLI_COMMON_H
#define VLM_CLI_COMMON_H

#include <signal.h>
#include <stdint.h>

#include "model/clip/clip.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

enum {
    EXIT_RESULTS = 0,
    EXIT_NO_RESULTS = 1,
    EXIT_ERROR = 2
};

#define DEFAULT_MODEL_REPO "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"

/* Options common to every command that touches a collection or a model. */
typedef struct cli_common {
    const char *collection; /* --collection DIR */
    const char *model;      /* --model DIR|NAME */
    const char *tokenizer;  /* --tokenizer DIR */
    int threads;            /* --threads N */
    int bf16;               /* --bf16 */
    vlm_precision fp32;     /* fp32 flavour: F32 (mapped, fast load; queries)
                               or F32_PACKED (faster GEMMs; indexing) */
    int offline;            /* --offline or VLMINDEX_OFFLINE=1 */
    int quiet;              /* -q */
} cli_common;

void cli_common_init(cli_common *o);

/* Ctrl-C / SIGTERM set this; a second Ctrl-C kills the process. */
extern volatile sig_atomic_t cli_cancel;
void cli_install_signal_handlers(void);

/* Resolves the collection folder (flag, $VLMINDEX_COLLECTION, XDG). */
int cli_collection_dir(const cli_common *o, char *buf, size_t n, char *err);

/* Opens collection + vector index; create makes the folder if needed.
 * The index is opened only when vi != NULL. */
int cli_open(const cli_common *o, int create, int private_perms, collection **c,
             vector_index **vi, char *err);

/* $XDG_DATA_HOME/vlmindex/models (or ~/.local/share/vlmindex/models). */
int cli_models_dir(char *buf, size_t n);

/* Finds the checkpoint folder: --model (a folder, or a name installed under
 * the models folder), else the folder the collection was built with, else
 * $VLMINDEX_MODEL, else the installed default.  VLM_ENOTFOUND when none. */
int cli_resolve_model(const cli_common *o, collection *c, char *dir, size_t n,
                      char *err);

/* Loads the model with the requested parts, honouring --threads/--bf16. */
int cli_load_model(const cli_common *o, const char *dir, int parts,
                   clip_model **m, char *err);

/* Progress line on stderr when it is a TTY (throttled); cleared by done. */
void cli_progress(int quiet, int64_t done, int64_t total, double elapsed,
                  const char *what);
void cli_progress_done(int quiet);

/* "<prog> <version>" to stdout (--version). */
void cli_print_version(const char *prog);

/* "error: <msg>" to stderr. */
void cli_error(const char *msg);

/* Exit code for a library status: 0; 130 after Ctrl-C (message printed);
 * EXIT_ERROR with "error: err" otherwise. */
int cli_exit_code(int status, const char *err);

/* getopt_long entries shared by every command (append to a command's own). */
#define CLI_COMMON_LONGOPTS                                                    \
    {"collection", required_argument, 0, 'C'},                                 \
        {"model", required_argument, 0, 'M'},                                  \
        {"tokenizer", required_argument, 0, 'T'},                              \
        {"threads", required_argument, 0, 'j'}, {"bf16", no_argument, 0, 'B'}, \
        {"offline", no_argument, 0, 'O'},                                      \
    {                                                                          \
        "quiet", no_argument, 0, 'q'                                           \
    }
#define CLI_COMMON_SHORTOPTS "C:M:T:j:q"

/* Handles one of the shared options; returns 1 if it was one. */
int cli_common_option(cli_common *o, int opt, const char *arg);

/* Downloads hub repo `name` into the models folder with a progress line;
 * dir receives the installed folder. */
int cli_pull_model(const cli_common *o, const char *name, const char *revision,
                   char *dir, size_t n, char *err);

/* cli_resolve_model, and when nothing is installed and --offline is not
 * set, announce and download the default model (what `vlmindex add` does
 * on a fresh machine). */
int cli_resolve_or_fetch_model(const cli_common *o, collection *c, char *dir,
                               size_t n, char *err);
#endif
