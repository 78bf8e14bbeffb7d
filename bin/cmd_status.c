/* vlmindex status | repair | reset: what the collection holds, and fixing it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"

typedef struct status_args {
    cli_common common;
    int failed_only;
    int null_sep; /* -0 */
} status_args;

#define ST(field) offsetof(status_args, field)

static const cli_opt status_opts[] = {
    CLI_OPT_FLAG(0, "failed", ST(failed_only),
                 "list the files that could not be indexed:\n"
                 "path<TAB>reason (escaped like ls -b)"),
    CLI_OPT_FLAG('0', NULL, ST(null_sep),
                 "with --failed: the paths only, each ending in NUL"),
    CLI_OPT_END};

static const cli_opt *const status_tables[] = {status_opts, NULL};

static const cli_command status_cmd = {
    .name = "vlmindex status",
    .about = "What the collection holds: its model, counts, vector index and\n"
             "folders.",
    .tables = status_tables,
    .max_args = 0,
};

static const cli_command repair_cmd = {
    .name = "vlmindex repair",
    .about = "Rebuilds the vector index from SQLite (the source of truth).",
    .max_args = 0,
};

static const cli_command reset_cmd = {
    .name = "vlmindex reset",
    .about =
        "Empties the collection (rows, vectors, model binding), keeping its\n"
        "folders: to re-index with another model, then `vlmindex update`.",
    .max_args = 0,
};

/* A command body that works on an open collection (and its index). */
typedef int (*collection_body)(status_args *a, collection *c, vector_index *vi,
                               char *err);

/* Parses, opens, runs body, closes, and turns the status into an exit code. */
static int with_collection(const cli_command *cmd, int argc, char **argv,
                           int want_index, collection_body body)
{
    status_args a;
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    if (cli_parse(cmd, argc, argv, &a, &a.common, &pos, &code)) {
        cli_args_free(cmd, &a, &pos);
        return code;
    }
    session *s = NULL;
    session_index_mode index = want_index && !a.failed_only
                                   ? SESSION_INDEX_IF_BOUND
                                   : SESSION_NO_INDEX;
    int rc = cli_open_session(&a.common, SESSION_READ, index, 0, &s, err);
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
    vector_index_info info;
    vector_index_get_info(vi, &info);
    printf("index:      %s, %lld vectors, generation %lld%s%s\n",
           info.kind == VECTOR_INDEX_IVF ? "IVF (approximate)" : "flat (exact)",
           (long long)info.ntotal, (long long)info.generation,
           info.rebuilt ? ", rebuilt: " : "",
           info.rebuilt ? info.rebuild_reason : "");
}

static int status_body(status_args *a, collection *c, vector_index *vi,
                       char *err)
{
    (void)err;
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
        printf("model:      %s (%d dims, id %.16s)\n",
               text_escape(name, sizeof name, m.name, TEXT_ESCAPED), m.dims,
               m.model_id);
    if (collection_get_counts(c, &k, NULL) == VLM_OK)
        printf("images:     %lld indexed, %lld failed, %lld classifications, "
               "%lld captions, %lld dicom\n",
               (long long)k.ok, (long long)k.failed,
               (long long)k.classifications, (long long)k.captions,
               (long long)k.dicom);
    if (vi) print_index_info(vi);
    if (collection_list_roots(c, &roots, &n, NULL) == VLM_OK)
        for (size_t i = 0; i < n; i++) {
            fputs("root:       ", stdout);
            text_write(stdout, roots[i], TEXT_ESCAPED);
            putchar('\n');
        }
    collection_free_strings(roots, n);
    return VLM_OK;
}

int cmd_status(int argc, char **argv)
{
    return with_collection(&status_cmd, argc, argv, 1, status_body);
}

static int repair_body(status_args *a, collection *c, vector_index *vi,
                       char *err)
{
    (void)a, (void)c;
    int rc = vi ? vector_index_rebuild(vi, err) : VLM_OK;
    if (!rc && vi) rc = vector_index_save(vi, err);
    if (!rc && vi) print_index_info(vi);
    return rc;
}

int cmd_repair(int argc, char **argv)
{
    return with_collection(&repair_cmd, argc, argv, 1, repair_body);
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
    return with_collection(&reset_cmd, argc, argv, 0, reset_body);
}
