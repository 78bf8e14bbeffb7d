/* vlmindex add | update | rm */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/indexer.h"
#include "indexer/shard.h"

typedef struct index_args {
    cli_common common;
    cli_list excludes;
    int batch;
    int exact;
    int prune_offline;   /* update --prune-offline */
    dicom_window window; /* --window */
    dicomweb_opts web;
    int web_timeout, web_stall, web_deadline, web_max_pages, web_page_size;
    shard_spec shard; /* --shard K/N (n == 0: none) */
} index_args;

#define IA(field) offsetof(index_args, field)

static int parse_window(const char *text, void *field, char *err)
{
    return dicom_window_parse(text, field, err);
}

static const cli_opt add_opts[] = {
    CLI_OPT_LIST('x', "exclude", IA(excludes), "GLOB",
                 "skip files and folders matching GLOB, from now on\n"
                 "for the folders given (repeatable; vlmindex exclude)"),
    CLI_OPT_END};

/* What add and update share: how files are decoded. */
static const cli_opt walk_opts[] = {
    CLI_OPT_INT('b', "batch", IA(batch), "N", 1, 256,
                "images per forward pass (default 16)"),
    CLI_OPT_FLAG(0, "exact", IA(exact),
                 "full-resolution JPEG decode (no DCT-scaled fast path)"),
    CLI_OPT_PARSE('w', "window", IA(window), "W", parse_window,
                  "DICOM VOI window: lung | mediastinum | bone | stored |\n"
                  "full | minmax | C,W[,linear|linear-exact|sigmoid]\n"
                  "(default: lung for chest CT, else stored)"),
    CLI_OPT_END};

static int parse_shard(const char *text, void *field, char *err)
{
    return shard_parse(text, field, err);
}

static const cli_opt shard_opts[] = {
    CLI_OPT_PARSE(0, "shard", IA(shard), "K/N", parse_shard,
                  "index only shard K of N (0 <= K < N; by a hash of the\n"
                  "path under its folder, or of the SOP Instance UID)\n"
                  "into this collection; later adds and update keep it;\n"
                  "join the shards with vlmindex merge"),
    CLI_OPT_END};

static const cli_opt dicomweb_opts_table[] = {
    CLI_OPT_SECTION(
        "DICOMweb sources (vlmindex add dicomweb+https://HOST/PATH):"),
    CLI_OPT_TEXT(0, "query", IA(web.query), "QIDO",
                 "study filter, e.g. \"ModalitiesInStudy=CT\""),
    CLI_OPT_TEXT(0, "ca-file", IA(web.ca_file), "PEM",
                 "CA certificates (default: the system's)"),
    CLI_OPT_TEXT(0, "netrc", IA(web.netrc_file), "FILE",
                 "credentials (mode 0600); or $VLMINDEX_DICOMWEB_TOKEN,\n"
                 "$VLMINDEX_DICOMWEB_USER and _PASSWORD"),
    CLI_OPT_INT(0, "deadline", IA(web_deadline), "SEC", 1, 31 * 86400,
                "stop the whole walk after SEC seconds (default: none)"),
    CLI_OPT_INT(0, "request-timeout", IA(web_timeout), "SEC", 1, 86400,
                "one request's time limit (default 60)"),
    CLI_OPT_INT(0, "stall-timeout", IA(web_stall), "SEC", 1, 86400,
                "a request receiving nothing for SEC fails (default 30)"),
    CLI_OPT_INT(0, "page-size", IA(web_page_size), "N", 1, 5000,
                "QIDO results per page (limit=; default 100)"),
    CLI_OPT_INT(0, "max-pages", IA(web_max_pages), "N", 1, 1000000,
                "pages per listing before paging stops (default 1000)"),
    CLI_OPT_END};

static const cli_opt prune_opts[] = {
    CLI_OPT_FLAG(0, "prune-offline", IA(prune_offline),
                 "forget folders that are offline (missing, unreadable,\n"
                 "unmounted) and their images; without it they are kept"),
    CLI_OPT_END};

static const cli_opt *const add_tables[] = {
    add_opts,        walk_opts, shard_opts, dicomweb_opts_table,
    cli_writer_opts, NULL};
static const cli_opt *const update_tables[] = {walk_opts, prune_opts,
                                               cli_writer_opts, NULL};
static const cli_opt *const rm_tables[] = {cli_writer_opts, NULL};

static const cli_command add_cmd = {
    .name = "vlmindex add",
    .synopsis =
        "[options] PATH...\n"
        "[options] dicomweb+https://HOST/dicom-web --query QIDO\n"
        "[options] dimse://AE@HOST:PORT[?calling=AE] --query QIDO",
    .about =
        "Indexes folders (recursively) and files, incrementally: unchanged\n"
        "files cost one lookup, moved files keep their vector.  Folders become\n"
        "roots that `update` re-scans; a file given alone does not.  Skipped:\n"
        "hidden entries, @eaDir, #recycle, #snapshot, .Trash-*, node_modules,\n"
        ".git and the globs of `vlmindex exclude`.  Files that cannot be read\n"
        "are recorded with the reason (status --failed).",
    .tables = add_tables,
    .min_args = 1,
    .max_args = -1,
    .args_name = "folder or file",
};

static const cli_command update_cmd = {
    .name = "vlmindex update",
    .about =
        "Re-scans every folder (and file) added before; forgets files that\n"
        "vanished or that an exclude now skips.  A folder that is missing,\n"
        "unreadable or looks unmounted is offline: its images are kept (and\n"
        "still found).",
    .tables = update_tables,
    .max_args = 0,
};

static const cli_command rm_cmd = {
    .name = "vlmindex rm",
    .synopsis = "[options] PATH...",
    .about =
        "Forgets files or folders (and their rows); the disk is untouched.\n"
        "A path inside a root is excluded from it, so `update` does not\n"
        "bring it back (vlmindex exclude list).  Also forgets an offline\n"
        "folder (an unplugged disk).",
    .tables = rm_tables,
    .min_args = 1,
    .max_args = -1,
    .args_name = "folder or file",
};

/* Parses argv for cmd; CLI_EXIT with *code on --help or an error. */
static int parse_index_args(const cli_command *cmd, int argc, char **argv,
                            index_args *a, cli_positional *pos, int *code)
{
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    /* Indexing runs many batches: packed weights (oneDNN) pay for their copy. */
    a->common.fp32 = VLM_PREC_F32_PACKED;
    a->common.command = cmd->name; /* shown to writers that wait for us */
    return cli_parse(cmd, argc, argv, a, &a->common, pos, code);
}

static void on_progress(void *user, const indexer_progress *p)
{
    static const char *const phases[] = {
        [INDEXER_SCANNING] = "scanning",
        [INDEXER_DECODING] = "decoding",
        [INDEXER_ENCODING] = "encoding",
    };
    (void)user;
    cli_status st = {.unit = "images",
                     .done = p->done,
                     .total = p->total,
                     .elapsed = p->elapsed,
                     .phase = phases[p->phase],
                     .name = p->current};
    if (p->phase == INDEXER_SCANNING) /* files found so far */
        st = (cli_status){.unit = "files found",
                          .done = p->found,
                          .phase = "scanning",
                          .name = p->current};
    cli_progress_update(&st);
}

static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user, (void)path;
    cli_progress_note("failed: ", reason);
}

/* A note of any length (paths may exceed PATH_MAX) above the progress
 * line. */
static void note_fmt(const char *prefix, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (msg) vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    cli_progress_note(prefix, msg ? msg : fmt);
    free(msg);
    va_end(ap2);
    va_end(ap);
}

/* An entry the walk could not visit (counted as skipped). */
static void on_skip(void *user, const char *path, const char *reason)
{
    (void)user;
    note_fmt("skipped: ", "%s: %s", path, reason);
}

/* Said even with -q: rows are kept (or were forgotten) on the user's word. */
static void on_offline(void *user, const char *root, const char *reason,
                       int64_t n_rows, int pruned)
{
    (void)user;
    if (pruned)
        note_fmt("offline root forgotten: ", "%s (%s): %lld images removed",
                 root, reason, (long long)n_rows);
    else
        note_fmt("offline root: ",
                 "%s is %s; its %lld images are kept (searches still find "
                 "them). `vlmindex rm %s` forgets them, `vlmindex update "
                 "--prune-offline` every offline root",
                 root, reason, (long long)n_rows, root);
}

/* Paging decisions of the DICOMweb client (no PHI in them). */
static void on_web_note(void *user, const char *msg)
{
    (void)user;
    cli_progress_note("dicomweb: ", msg);
}

static void set_web_options(index_args *a, const char *url)
{
    a->web.base_url = url;
    a->web.window = a->window;
    a->web.deadline_s = a->web_deadline;
    a->web.timeout_s = a->web_timeout;
    a->web.stall_timeout_s = a->web_stall;
    a->web.page_size = a->web_page_size;
    a->web.max_pages = a->web_max_pages;
    a->web.cancel = &cli_cancel;
    a->web.log = on_web_note;
    a->web.log_ctx = a;
}

static void print_summary(const indexer_summary *s)
{
    printf("added %lld, updated %lld, unchanged %lld, moved %lld, copied %lld, "
           "removed %lld, failed %lld, skipped %lld",
           (long long)s->added, (long long)s->updated, (long long)s->unchanged,
           (long long)s->moved, (long long)s->copied, (long long)s->removed,
           (long long)s->failed, (long long)s->skipped);
    if (s->not_images) printf(", not images %lld", (long long)s->not_images);
    if (s->offline) printf(", offline roots %lld", (long long)s->offline);
    printf(" (%.1f s", s->seconds);
    if (s->added + s->updated > 0 && s->seconds > 0)
        printf(", %.1f images/s", (double)(s->added + s->updated) / s->seconds);
    printf(")\n");
    if (s->other_shards)
        printf("left %lld file(s) to the other shards\n",
               (long long)s->other_shards);
}

/* The session add and update write through; a fresh machine downloads the
 * default model. */
static int open_for_indexing(index_args *a, session **s, char *err)
{
    cli_install_signal_handlers(); /* before loading: Ctrl-C always exits cleanly */
    session_config cfg = cli_session_config(
        &a->common, SESSION_WRITE, SESSION_INDEX_IF_BOUND, CLIP_PART_ALL);
    cfg.fetch_default = true;
    cli_progress_setup(&a->common);
    int rc = session_open(&cfg, s, err);
    cli_progress_end();
    if (!rc) cli_note_precision(&a->common);
    if (!rc && cli_cancel) {
        vlm_set_err(err, "interrupted before indexing started");
        rc = VLM_EINTERRUPTED;
    }
    return rc;
}

/* add: a DICOMweb server, a DIMSE PACS, or files and folders. */
static int add_paths(index_args *a, char **paths, int n, session *s,
                     const indexer_options *o, indexer_summary *sum, char *err)
{
    collection *c = session_collection(s);
    vector_index *vi = session_index(s);
    clip_model *m = session_model(s);
    if (n == 1 && !strncmp(paths[0], "dicomweb+", 9)) {
        set_web_options(a, paths[0]);
        return indexer_add_dicomweb(c, vi, m, &a->web, o, sum, err);
    }
    if (n == 1 && !strncmp(paths[0], "dimse://", 8)) {
        dimse_opts d = {.url = paths[0],
                        .query = a->web.query,
                        .window = a->window,
                        .cancel = &cli_cancel};
        return indexer_add_dimse(c, vi, m, &d, o, sum, err);
    }
    return indexer_add(c, vi, m, (const char *const *)paths, n, o, sum, err);
}

static int run_indexer(index_args *a, char **paths, int n, int update)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    int rc = open_for_indexing(a, &s, err);
    if (!rc && a->shard.n)
        rc = shard_record(session_collection(s), &a->shard, err);
    indexer_summary sum = {0};
    if (!rc) {
        indexer_options o = {
            .excludes = a->excludes.v,
            .n_excludes = a->excludes.n,
            .batch_size = a->batch,
            .exact_decode = a->exact,
            .decode_threads = a->common.threads,
            .window = a->window,
            .cancel = &cli_cancel,
            .on_progress = on_progress,
            .on_failure = on_failure,
            .on_skip = on_skip,
            .on_offline = on_offline,
            .prune_offline = a->prune_offline,
            .user = a,
        };
        rc = update ? indexer_update(session_collection(s), session_index(s),
                                     session_model(s), &o, &sum, err)
                    : add_paths(a, paths, n, s, &o, &sum, err);
        cli_progress_end();
        print_summary(&sum);
    }
    session_close(s);
    return cli_exit_code(rc, err);
}

/* add and update: parse, run, free. */
static int index_command(const cli_command *cmd, int argc, char **argv,
                         int update)
{
    index_args a;
    cli_positional pos;
    int code;
    if (!parse_index_args(cmd, argc, argv, &a, &pos, &code))
        code = run_indexer(&a, pos.v, pos.n, update);
    cli_args_free(cmd, &a, &pos);
    return code;
}

int cmd_add(int argc, char **argv)
{
    return index_command(&add_cmd, argc, argv, 0);
}

int cmd_update(int argc, char **argv)
{
    return index_command(&update_cmd, argc, argv, 1);
}

int cmd_rm(int argc, char **argv)
{
    index_args a;
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    if (parse_index_args(&rm_cmd, argc, argv, &a, &pos, &code)) {
        cli_args_free(&rm_cmd, &a, &pos);
        return code;
    }
    session *s = NULL;
    int64_t removed = 0;
    int rc = cli_open_session(&a.common, SESSION_MODIFY, SESSION_INDEX_IF_BOUND,
                              0, &s, err);
    vector_index *vi = rc ? NULL : session_index(s);
    if (!rc && vi)
        rc = indexer_remove(session_collection(s), vi,
                            (const char *const *)pos.v, pos.n, &removed, err);
    if (!rc) printf("removed %lld\n", (long long)removed);
    session_close(s);
    cli_args_free(&rm_cmd, &a, &pos);
    return cli_exit_code(rc, err);
}
