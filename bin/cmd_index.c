/* vlmindex add | update | rm | status | repair | reset */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/indexer.h"

typedef struct index_args {
    cli_common common;
    const char *excludes[64];
    int n_excludes;
    int batch;
    int exact;
    int failed_only;
    dicom_window window; /* --window */
    int verify;             /* status --verify, repair --check */
    const char *index_kind; /* repair --index KIND */
    dicomweb_opts web;
} index_args;

static const char index_usage[] =
    "usage: vlmindex add [options] PATH...\n"
    "       vlmindex update | rm PATH... | status [--failed] [--verify] | "
    "reset\n"
    "       vlmindex repair [--check] [--index auto|flat|sq8|ivfpq]\n"
    "  -x, --exclude GLOB   skip files/folders matching GLOB (repeatable)\n"
    "  -b, --batch N        images per forward pass (default 16)\n"
    "      --exact          full-resolution JPEG decode (no DCT-scaled fast "
    "path)\n"
    "  -w, --window W       DICOM VOI window: lung | mediastinum | bone | "
    "stored |\n"
    "                       full | C,W (default: lung for chest CT, else "
    "stored)\n"
    "      --failed         (status) list files that could not be indexed\n"
    "      --verify         (status) checksum the vector index, check the "
    "database;\n"
    "                       a damaged index is rebuilt from the database\n"
    "      --check          (repair) rebuild only if the checks fail\n"
    "      --index KIND     (repair) vector index kind: auto, flat, sq8 "
    "(8-bit),\n"
    "                       ivfpq (compressed, for millions of images)\n"
    "  vlmindex add dicomweb+https://host/dicom-web --query "
    "\"ModalitiesInStudy=CT\"\n"
    "      --query QIDO       study filter;  --ca-file PEM;  --netrc FILE "
    "(mode 0600)\n"
    "      credentials: $VLMINDEX_DICOMWEB_TOKEN or "
    "$VLMINDEX_DICOMWEB_USER/_PASSWORD\n"
    "  -C, --collection DIR -M, --model DIR|NAME  -T, --tokenizer DIR\n"
    "  -j, --threads N      --bf16   --offline   -q, --quiet\n";

/* Parses options; leaves positional arguments at argv[optind..]. */
static int parse_index_args(int argc, char **argv, index_args *a)
{
    static const struct option longopts[] = {
        {"exclude", required_argument, 0, 'x'},
        {"batch", required_argument, 0, 'b'},
        {"exact", no_argument, 0, 'E'},
        {"failed", no_argument, 0, 'F'},
        {"verify", no_argument, 0, 'V'},
        {"check", no_argument, 0, 'V'},
        {"index", required_argument, 0, 'I'},
        {"window", required_argument, 0, 'w'},
        {"query", required_argument, 0, 'Q'},
        {"ca-file", required_argument, 0, 'A'},
        {"netrc", required_argument, 0, 'N'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    /* Indexing runs many batches: packed weights (oneDNN) pay for their copy. */
    a->common.fp32 = VLM_PREC_F32_PACKED;
    int opt;
    while ((opt = getopt_long(argc, argv, "x:b:w:h" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        if (cli_common_option(&a->common, opt, optarg)) continue;
        switch (opt) {
        case 'x':
            if (a->n_excludes < 64) a->excludes[a->n_excludes++] = optarg;
            break;
        case 'b': a->batch = atoi(optarg); break;
        case 'E': a->exact = 1; break;
        case 'F': a->failed_only = 1; break;
        case 'V': a->verify = 1; break;
        case 'I': a->index_kind = optarg; break;
        case 'Q': a->web.query = optarg; break;
        case 'A': a->web.ca_file = optarg; break;
        case 'N': a->web.netrc_file = optarg; break;
        case 'w': {
            char err[VLM_ERR_MAX];
            if (dicom_window_parse(optarg, &a->window, err)) {
                cli_error(err);
                return -1;
            }
            break;
        }
        case 'h': fputs(index_usage, stdout); exit(0);
        default: fputs(index_usage, stderr); return -1;
        }
    }
    return 0;
}

static void on_progress(void *user, const indexer_progress *p)
{
    const index_args *a = user;
    cli_progress(a->common.quiet, p->done, p->total, p->elapsed, p->current);
}

static void on_failure(void *user, const char *path, const char *reason)
{
    const index_args *a = user;
    (void)path;
    cli_progress_done(a->common.quiet);
    fprintf(stderr, "skipped: %s\n", reason);
}

static void print_summary(const indexer_summary *s)
{
    printf("added %lld, updated %lld, unchanged %lld, moved %lld, copied %lld, "
           "removed %lld, failed %lld (%.1f s",
           (long long)s->added, (long long)s->updated, (long long)s->unchanged,
           (long long)s->moved, (long long)s->copied, (long long)s->removed,
           (long long)s->failed, s->seconds);
    if (s->added + s->updated > 0 && s->seconds > 0)
        printf(", %.1f images/s", (double)(s->added + s->updated) / s->seconds);
    printf(")\n");
}

static int run_indexer(index_args *a, char **paths, int n, int update)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    cli_install_signal_handlers(); /* before loading: Ctrl-C always exits cleanly */
    session_config cfg = cli_session_config(
        &a->common, SESSION_WRITE, SESSION_INDEX_IF_BOUND, CLIP_PART_ALL);
    cfg.fetch_default = true; /* a fresh machine gets the default model */
    int rc = session_open(&cfg, &s, err);
    cli_progress_done(a->common.quiet);
    if (!rc && cli_cancel)
        rc = VLM_EINTERRUPTED,
        vlm_set_err(err, "interrupted before indexing started");
    indexer_summary sum = {0};
    if (!rc) {
        indexer_options o = {
            .excludes = a->excludes,
            .n_excludes = a->n_excludes,
            .batch_size = a->batch,
            .exact_decode = a->exact,
            .decode_threads = a->common.threads,
            .window = a->window,
            .cancel = &cli_cancel,
            .on_progress = on_progress,
            .on_failure = on_failure,
            .user = a,
        };
        collection *c = session_collection(s);
        vector_index *vi = session_index(s);
        clip_model *m = session_model(s);
        if (update)
            rc = indexer_update(c, vi, m, &o, &sum, err);
        else if (n == 1 && !strncmp(paths[0], "dicomweb+", 9)) {
            a->web.base_url = paths[0];
            a->web.window = a->window;
            rc = indexer_add_dicomweb(c, vi, m, &a->web, &o, &sum, err);
        } else
            rc = indexer_add(c, vi, m, (const char *const *)paths, n, &o, &sum,
                             err);
        cli_progress_done(a->common.quiet);
        print_summary(&sum);
    }
    session_close(s);
    return cli_exit_code(rc, err);
}

int cmd_add(int argc, char **argv)
{
    index_args a;
    if (parse_index_args(argc, argv, &a)) return EXIT_ERROR;
    if (optind >= argc) {
        fputs("vlmindex add: give at least one folder or file\n", stderr);
        return EXIT_ERROR;
    }
    return run_indexer(&a, argv + optind, argc - optind, 0);
}

int cmd_update(int argc, char **argv)
{
    index_args a;
    if (parse_index_args(argc, argv, &a)) return EXIT_ERROR;
    return run_indexer(&a, NULL, 0, 1);
}

/* A command body that works on an open collection (and its index). */
typedef int (*collection_body)(index_args *a, collection *c, vector_index *vi,
                               char **paths, int n, char *err);

/* Parses, opens, runs body, closes, and turns the status into an exit code. */
static int with_collection(int argc, char **argv, int want_index,
                           collection_body body)
{
    index_args a;
    char err[VLM_ERR_MAX] = "";
    if (parse_index_args(argc, argv, &a)) return EXIT_ERROR;
    session *s = NULL;
    session_index_mode index = want_index && !a.failed_only
                                   ? SESSION_INDEX_IF_BOUND
                                   : SESSION_NO_INDEX;
    int rc = cli_open_session(&a.common, SESSION_READ, index, 0, &s, err);
    if (!rc)
        rc = body(&a, session_collection(s), session_index(s), argv + optind,
                  argc - optind, err);
    session_close(s);
    return cli_exit_code(rc, err);
}

static int rm_body(index_args *a, collection *c, vector_index *vi, char **paths,
                   int n, char *err)
{
    (void)a;
    int64_t removed = 0;
    int rc =
        vi ? indexer_remove(c, vi, (const char *const *)paths, n, &removed, err)
           : VLM_OK;
    if (!rc) printf("removed %lld\n", (long long)removed);
    return rc;
}

int cmd_rm(int argc, char **argv)
{
    return with_collection(argc, argv, 1, rm_body);
}

static void print_failed(collection *c)
{
    collection_cursor *cur;
    collection_image *row = malloc(sizeof *row);
    if (!row ||
        collection_cursor_open(c, NULL, COLLECTION_ROWS_FAILED, &cur, NULL)) {
        free(row);
        return;
    }
    while (collection_cursor_step(cur, row, NULL) == 1) {
        /* The reason usually starts with "path: "; print it once. */
        size_t n = strlen(row->path);
        const char *why = !strncmp(row->error, row->path, n) &&
                                  !strncmp(row->error + n, ": ", 2)
                              ? row->error + n + 2
                              : row->error;
        printf("%s\t%s\n", row->path, why);
    }
    collection_cursor_close(cur);
    free(row);
}

static void print_index_info(vector_index *vi)
{
    vector_index_info in;
    vector_index_get_info(vi, &in);
    printf("index:      %s%s, %lld vectors, %.1f MB, generation %lld%s%s\n",
           vector_index_kind_name(in.kind),
           in.kind == VECTOR_INDEX_EXACT ? " (flat)"
           : in.refine > 1               ? " (re-scored from the database)"
                                         : "",
           (long long)in.ntotal, in.file_bytes / 1e6,
           (long long)in.generation, in.rebuilt ? ", rebuilt: " : "",
           in.rebuilt ? in.rebuild_reason : "");
    if (in.kind != VECTOR_INDEX_EXACT)
        printf("            %d lists, %d probed per query, %d candidates per "
               "hit, choice %s, scan %s\n",
               in.nlist, in.nprobe, in.refine,
               vector_index_choice_name(in.choice), in.scan_isa);
    else if (in.choice != VECTOR_INDEX_CHOICE_AUTO)
        printf("            choice %s (applies from %d vectors)\n",
               vector_index_choice_name(in.choice),
               VECTOR_INDEX_APPROX_THRESHOLD);
    if (in.kind != VECTOR_INDEX_EXACT && in.expected_recall >= 0)
        printf("            expected recall@10 %.3f (%s, %d queries at %lld "
               "vectors)\n",
               in.expected_recall, in.calib_kind, in.calib_queries,
               (long long)in.calib_ntotal);
}

/* status --verify, repair --check: both files, repairing the index. */
static int verify_collection(collection *c, vector_index *vi, char *err)
{
    vector_index_check ck = {0};
    bool repaired = false, db_ok = false;
    char report[1024];
    int rc = vi ? vector_index_verify_repair(vi, &ck, &repaired, err) : VLM_OK;
    if (!rc && vi && ck.ok)
        printf("verify:     %s ok (xxh3 %016llx, %lld bytes)\n",
               vector_index_path(vi), (unsigned long long)ck.checksum,
               (long long)ck.bytes);
    else if (!rc && vi)
        printf("verify:     %s\n            rebuilt from the database%s\n",
               ck.problem, repaired ? " and saved" : "");
    if (!rc) rc = collection_quick_check(c, &db_ok, report, sizeof report, err);
    if (!rc) printf("database:   quick_check %s\n", report);
    if (!rc && !db_ok) {
        vlm_set_err(err, "%s/%s fails SQLite's quick_check: restore it from a "
                    "backup", collection_dir(c), COLLECTION_DB_NAME);
        rc = VLM_EFORMAT;
    }
    return rc;
}

static int status_body(index_args *a, collection *c, vector_index *vi,
                       char **paths, int n_paths, char *err)
{
    (void)paths, (void)n_paths;
    if (a->failed_only) {
        print_failed(c);
        return VLM_OK;
    }
    collection_counts k;
    collection_model m;
    char **roots = NULL;
    size_t n = 0;
    printf("collection: %s\n", collection_dir(c));
    if (collection_get_model(c, &m, NULL) == VLM_OK)
        printf("model:      %s (%d dims, id %.16s)\n", m.name, m.dims,
               m.model_id);
    if (collection_get_counts(c, &k, NULL) == VLM_OK)
        printf("images:     %lld indexed, %lld failed, %lld classifications, "
               "%lld captions, %lld dicom\n",
               (long long)k.ok, (long long)k.failed,
               (long long)k.classifications, (long long)k.captions,
               (long long)k.dicom);
    int rc = a->verify ? verify_collection(c, vi, err) : VLM_OK;
    if (vi) print_index_info(vi);
    if (collection_list_roots(c, &roots, &n, NULL) == VLM_OK)
        for (size_t i = 0; i < n; i++) printf("root:       %s\n", roots[i]);
    collection_free_strings(roots, n);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    return with_collection(argc, argv, 1, status_body);
}

static int repair_body(index_args *a, collection *c, vector_index *vi,
                       char **paths, int n, char *err)
{
    (void)paths, (void)n;
    int choice = 0, rc = VLM_OK;
    if (a->index_kind)
        rc = vector_index_parse_choice(a->index_kind, &choice, err);
    if (!rc && !vi && a->index_kind) {
        vlm_set_err(err, "the collection is empty: nothing to index yet");
        rc = VLM_EINVAL;
    }
    if (!rc && a->index_kind)
        rc = vector_index_set_choice(vi, choice, err);
    else if (!rc && a->verify)
        rc = verify_collection(c, vi, err);
    else if (!rc && vi)
        rc = vector_index_rebuild(vi, err);
    if (!rc && vi) rc = vector_index_save(vi, err);
    if (!rc && vi) print_index_info(vi);
    return rc;
}

int cmd_repair(int argc, char **argv)
{
    return with_collection(argc, argv, 1, repair_body);
}

static int reset_body(index_args *a, collection *c, vector_index *vi,
                      char **paths, int n, char *err)
{
    (void)a, (void)vi, (void)paths, (void)n;
    int rc = collection_reset(c, err);
    if (!rc)
        printf("collection emptied (roots kept): run `vlmindex update` to "
               "re-index\n");
    return rc;
}

int cmd_reset(int argc, char **argv)
{
    return with_collection(argc, argv, 0, reset_body);
}
