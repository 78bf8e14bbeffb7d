/* vlmindex status | repair | reset: what the collection holds, and fixing it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/shard.h"
#include "session/session_roots.h"

typedef struct status_args {
    cli_common common;
    int failed_only;
    int verify;             /* status --verify, repair --check */
    const char *index_kind; /* repair --index KIND */
    int null_sep;           /* -0 */
} status_args;

#define ST(field) offsetof(status_args, field)

static const cli_opt status_opts[] = {
    CLI_OPT_FLAG(0, "failed", ST(failed_only),
                 "list the files that could not be indexed:\n"
                 "path<TAB>reason (escaped like ls -b)"),
    CLI_OPT_FLAG(0, "verify", ST(verify),
                 "checksum the vector index and check the database;\n"
                 "a damaged index is rebuilt from the database"),
    CLI_OPT_FLAG('0', NULL, ST(null_sep),
                 "with --failed: the paths only, each ending in NUL"),
    CLI_OPT_END};

static const cli_opt repair_opts[] = {
    CLI_OPT_FLAG(0, "check", ST(verify),
                 "rebuild only if the checks of status --verify fail"),
    CLI_OPT_TEXT(0, "index", ST(index_kind), "KIND",
                 "vector index kind: auto, flat, sq8 (8-bit),\n"
                 "ivfpq (compressed, for millions of images)"),
    CLI_OPT_END};

static const cli_opt *const status_tables[] = {status_opts, NULL};
static const cli_opt *const repair_tables[] = {repair_opts, cli_writer_opts,
                                               NULL};

static const cli_command status_cmd = {
    .name = "vlmindex status",
    .about = "What the collection holds: its model, counts, vector index and\n"
             "folders.",
    .tables = status_tables,
    .max_args = 0,
};

static const cli_opt *const writer_tables[] = {cli_writer_opts, NULL};

static const cli_command repair_cmd = {
    .name = "vlmindex repair",
    .about = "Rebuilds the vector index from SQLite (the source of truth),\n"
             "optionally as another kind.",
    .tables = repair_tables,
    .max_args = 0,
};

static const cli_command reset_cmd = {
    .name = "vlmindex reset",
    .about =
        "Empties the collection (rows, vectors, model binding), keeping its\n"
        "folders: to re-index with another model, then `vlmindex update`.",
    .tables = writer_tables,
    .max_args = 0,
};

/* A command body that works on an open collection (and its index). */
typedef int (*collection_body)(status_args *a, collection *c, vector_index *vi,
                               char *err);

/* Parses, opens, runs body, closes, and turns the status into an exit code.
 * SESSION_MODIFY (repair, reset) takes the writer lock. */
static int with_collection(const cli_command *cmd, int argc, char **argv,
                           int want_index, session_access access,
                           collection_body body)
{
    status_args a;
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    a.common.command = cmd->name;
    if (cli_parse(cmd, argc, argv, &a, &a.common, &pos, &code)) {
        cli_args_free(cmd, &a, &pos);
        return code;
    }
    session *s = NULL;
    session_index_mode index = want_index && !a.failed_only
                                   ? SESSION_INDEX_IF_BOUND
                                   : SESSION_NO_INDEX;
    int rc = cli_open_session(&a.common, access, index, 0, &s, err);
    if (!rc) rc = body(&a, session_collection(s), session_index(s), err);
    session_close(s);
    cli_args_free(cmd, &a, &pos);
    return cli_exit_code(rc, err);
}

/* path<TAB>reason lines (escaped), or raw paths ending in NUL (-0). */
static void print_failed(collection *c, int null_sep)
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
        if (null_sep) {
            fwrite(row->path, 1, strlen(row->path) + 1, stdout);
            continue;
        }
        text_write(stdout, row->path, TEXT_ESCAPED);
        putchar('\t');
        text_write(stdout, why, TEXT_ESCAPED);
        putchar('\n');
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
           (long long)in.ntotal, in.file_bytes / 1e6, (long long)in.generation,
           in.rebuilt ? ", rebuilt: " : "",
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
        vlm_set_err(err,
                    "%s/%s fails SQLite's quick_check: restore it from a "
                    "backup",
                    collection_dir(c), COLLECTION_DB_NAME);
        rc = VLM_EFORMAT;
    }
    return rc;
}

/* One root, and whether it is online now. */
static void print_root(collection *c, const char *root)
{
    session_root_status st;
    int64_t rows = 0;
    fputs("root:       ", stdout);
    text_write(stdout, root, TEXT_ESCAPED);
    if (session_root_probe(c, root, &st, NULL) != VLM_OK || !st.offline) {
        putchar('\n');
        return;
    }
    collection_count_under(c, root, &rows, NULL);
    printf("  OFFLINE: %s; %lld images kept (`vlmindex rm` forgets them)\n",
           st.reason, (long long)rows);
}

static int status_body(status_args *a, collection *c, vector_index *vi,
                       char *err)
{
    if (a->failed_only) {
        print_failed(c, a->null_sep);
        return VLM_OK;
    }
    collection_counts k;
    collection_model m;
    char name[512];
    char **roots = NULL;
    size_t n = 0;
    fputs("collection: ", stdout);
    text_write(stdout, collection_dir(c), TEXT_ESCAPED);
    putchar('\n');
    if (collection_get_model(c, &m, NULL) == VLM_OK)
        printf("model:      %s (%s, %d dims, id %.16s)\n",
               text_escape(name, sizeof name, m.name, TEXT_ESCAPED),
               m.family[0] ? m.family : "family not recorded yet", m.dims,
               m.model_id);
    shard_spec sh;
    if (shard_get(c, &sh, NULL) == VLM_OK && sh.n)
        printf("shard:      %d/%d (vlmindex merge joins the shards)\n", sh.k,
               sh.n);
    if (collection_get_counts(c, &k, NULL) == VLM_OK)
        printf("images:     %lld indexed, %lld failed, %lld classifications, "
               "%lld captions, %lld dicom\n",
               (long long)k.ok, (long long)k.failed,
               (long long)k.classifications, (long long)k.captions,
               (long long)k.dicom);
    int rc = a->verify ? verify_collection(c, vi, err) : VLM_OK;
    if (vi) print_index_info(vi);
    const char *why;
    if (collection_is_read_only(c, &why)) {
        fputs("access:     read-only (", stdout);
        text_write(stdout, why, TEXT_ESCAPED);
        puts("): searches work; changes and saving a rebuilt index need "
             "write access");
    }
    if (collection_list_roots(c, &roots, &n, NULL) == VLM_OK)
        for (size_t i = 0; i < n; i++) print_root(c, roots[i]);
    collection_free_strings(roots, n);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    return with_collection(&status_cmd, argc, argv, 1, SESSION_READ,
                           status_body);
}

static int repair_body(status_args *a, collection *c, vector_index *vi,
                       char *err)
{
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
    return with_collection(&repair_cmd, argc, argv, 1, SESSION_MODIFY,
                           repair_body);
}

static int reset_body(status_args *a, collection *c, vector_index *vi,
                      char *err)
{
    (void)a, (void)vi;
    int rc = collection_reset(c, err);
    if (!rc)
        printf("collection emptied (roots kept): run `vlmindex update` to "
               "re-index\n");
    return rc;
}

int cmd_reset(int argc, char **argv)
{
    return with_collection(&reset_cmd, argc, argv, 0, SESSION_MODIFY,
                           reset_body);
}
