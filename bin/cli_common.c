#include "bin/cli_common.h"

#include "model/core/build_info.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t cli_cancel = 0;

#define COMMON(field) offsetof(cli_common, field)

/* -C: the last one is the collection; vlmsearch uses them all.  The
 * field is cli_common.collection, so the struct is found from it. */
static int parse_collection(const char *text, void *field, char *err)
{
    cli_common *o =
        (cli_common *)((char *)field - offsetof(cli_common, collection));
    if (o->n_collections == CLI_MAX_COLLECTIONS) {
        vlm_set_err(err, "at most %d collections", CLI_MAX_COLLECTIONS);
        return VLM_EINVAL;
    }
    o->collection = o->collections[o->n_collections++] = text;
    return VLM_OK;
}

const cli_opt cli_common_opts[] = {
    CLI_OPT_PARSE('C', "collection", COMMON(collection), "DIR",
                  parse_collection,
                  "the collection (default: $VLMINDEX_COLLECTION, else\n"
                  "$XDG_DATA_HOME/vlmindex/collection); vlmsearch takes\n"
                  "several (-C A -C B: one search over all of them)"),
    CLI_OPT_TEXT('M', "model", COMMON(model), "DIR|NAME",
                 "a checkpoint folder or an installed model name\n"
                 "(default: the one the collection was built with)"),
    CLI_OPT_TEXT('T', "tokenizer", COMMON(tokenizer), "DIR",
                 "tokenizer files, when not in the model folder"),
    CLI_OPT_INT('j', "threads", COMMON(threads), "N", 0, 1024,
                "threads for the model (0 = all cores)"),
    CLI_OPT_FLAG(0, "bf16", COMMON(bf16),
                 "bf16 weights: half the memory; faster on CPUs with\n"
                 "AVX-512 BF16, fp32 speed elsewhere"),
    CLI_OPT_FLAG(0, "offline", COMMON(offline),
                 "never use the network (also VLMINDEX_OFFLINE=1)"),
    CLI_OPT_FLAG('q', "quiet", COMMON(quiet),
                 "no progress display and no notes"),
    CLI_OPT_CHOICE(0, "progress", COMMON(progress), "WHEN", cli_progress_modes,
                   "auto (default: a line redrawn on a terminal, else\n"
                   "a plain line every 5 s) | tty | plain | none"),
    CLI_OPT_FLAG('h', "help", COMMON(help), "show this help and exit"),
    CLI_OPT_END};

const cli_opt cli_writer_opts[] = {
    CLI_OPT_FLAG(0, "no-wait", COMMON(no_wait),
                 "fail at once if another command is changing the\n"
                 "collection (default: wait for it)"),
    CLI_OPT_END};

const cli_opt cli_index_opts[] = {
    CLI_OPT_SECTION("Approximate index (large collections, docs/scale.md):"),
    CLI_OPT_INT(0, "nprobe", COMMON(nprobe), "N", 1, 1 << 20,
                "IVF lists searched per query (default: enough\n"
                "for about 3/64 of the vectors; more = higher\n"
                "recall, slower)"),
    CLI_OPT_INT(0, "refine", COMMON(refine), "R", 1, 4096,
                "candidates re-scored exactly per result (default:\n"
                "4 for ivf-sq8, 32 for ivf-pq; more = higher recall)"),
    CLI_OPT_END};

int cli_parse_existing_path(const char *text, void *field, char *err)
{
    struct stat st;
    if (stat(text, &st) != 0) {
        vlm_set_err(err, "%s: %s", text, strerror(errno));
        return VLM_ENOTFOUND;
    }
    *(const char **)field = text;
    return VLM_OK;
}

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
    char d[1024]; /* build options, the ISA paths on this machine */
    vlm_build_describe(d, sizeof d);
    printf("%s %s\n%s", prog, VLMINDEX_VERSION, d);
}

void cli_note_precision(const cli_common *o)
{
    static int noted;
    if (!o->bf16 || o->quiet || noted || vlm_bf16_native()) return;
    noted = 1;
    fputs("note: this CPU has no native bf16 matrix multiply: --bf16 keeps "
          "bf16 weights (half the memory) and computes in fp32\n",
          stderr);
}

void cli_error(const char *msg)
{
    fputs("error: ", stderr);
    text_write(stderr, msg, TEXT_DISPLAY);
    fputc('\n', stderr);
}

int cli_exit_code(int status, const char *err)
{
    if (status == VLM_EINTERRUPTED) {
        text_write(stderr, err, TEXT_DISPLAY);
        fputc('\n', stderr);
        return EXIT_INTERRUPTED;
    }
    if (status) cli_error(err);
    return status ? EXIT_ERROR : 0;
}

static void announce_download(void *user, const char *repo)
{
    (void)user;
    cli_progress_end();
    fprintf(stderr,
            "No model installed. Downloading the default model %s "
            "(about 605 MB, once) — use --model DIR to use a local checkpoint "
            "instead.\n",
            repo);
}

static void announce_wait(void *user, const char *dir, const char *holder)
{
    const cli_common *o = user;
    char msg[2 * SESSION_PATH_MAX + 128];
    if (o->quiet) return;
    snprintf(msg, sizeof msg,
             "collection %s is being changed by %s (Ctrl-C to stop, "
             "--no-wait to fail at once)",
             dir, holder);
    cli_progress_note("waiting: ", msg);
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
    cfg.nprobe = o->nprobe;
    cfg.refine = o->refine;
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
    cli_progress_setup(o);
    int rc = session_open(&cfg, s, err);
    cli_progress_end(); /* a download's progress line */
    if (!rc) cli_note_precision(o);
    return rc;
}

int cli_fetch_progress(void *user, uint64_t done, uint64_t total,
                       const char *file)
{
    (void)user;
    cli_status st = {.done = (int64_t)done,
                     .total = (int64_t)total,
                     .phase = "downloading",
                     .name = file};
    cli_progress_update(&st);
    return cli_cancel;
}
