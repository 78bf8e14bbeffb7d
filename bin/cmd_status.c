/* vlmindex status | repair | reset: what the collection holds, and fixing it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "session/session_roots.h"

typedef struct status_args {
    cli_common common;
    int failed_only;
} status_args;

#define ST(field) offsetof(status_args, field)

static const cli_opt status_opts[] = {
    CLI_OPT_FLAG(0, "failed", ST(failed_only),
                 "list the files that could not be indexed:\n"
                 "path<TAB>reason"),
    CLI_OPT_END};

static const cli_opt *const status_tables[] = {status_opts, NULL};

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
    .about = "Rebuilds the vector index from SQLite (the source of truth).",
    .tables = writer_tables,
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
    vector_index_info info;
    vector_index_get_info(vi, &info);
    printf("index:      %s, %lld vectors, generation %lld%s%s\n",
           info.kind == VECTOR_INDEX_IVF ? "IVF (approximate)" : "flat (exact)",
           (long long)info.ntotal, (long long)info.generation,
           info.rebuilt ? ", rebuilt: " : "",
           info.rebuilt ? info.rebuild_reason : "");
}

/* One root, and whether it is online now. */
static void print_root(collection *c, const char *root)
{
    session_root_status st;
    int64_t rows = 0;
    if (session_root_probe(c, root, &st, NULL) != VLM_OK || !st.offline) {
        printf("root:       %s\n", root);
        return;
    }
    collection_count_under(c, root, &rows, NULL);
    printf("root:       %s  OFFLINE: %s; %lld images kept (`vlmindex rm` "
           "forgets them)\n",
           root, st.reason, (long long)rows);
}

static int status_body(status_args *a, collection *c, vector_index *vi,
                       char *err)
{
    (void)err;
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
    if (vi) print_index_info(vi);
    const char *why;
    if (collection_is_read_only(c, &why))
        printf("access:     read-only (%s): searches work; changes and "
               "saving a rebuilt index need write access\n",
               why);
    if (collection_list_roots(c, &roots, &n, NULL) == VLM_OK)
        for (size_t i = 0; i < n; i++) print_root(c, roots[i]);
    collection_free_strings(roots, n);
    return VLM_OK;
}

int cmd_status(int argc, char **argv)
{
    return with_collection(&status_cmd, argc, argv, 1, SESSION_READ,
                           status_body);
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
