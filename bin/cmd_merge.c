/* vlmindex merge -C OUT SHARD... */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/merge.h"

typedef struct merge_args {
    cli_common common;
} merge_args;

static const cli_opt *const merge_tables[] = {cli_writer_opts, NULL};

static const cli_command merge_cmd = {
    .name = "vlmindex merge",
    .synopsis = "-C OUT [options] COLLECTION...",
    .about =
        "Builds the collection OUT from several collections of one model,\n"
        "usually the shards of `vlmindex add --shard K/N`: rows, embeddings,\n"
        "captions, classifications, DICOM fields, folders.  Run it again\n"
        "after some shards were updated: only rows that changed move.  The\n"
        "vector index is built once at the end.",
    .tables = merge_tables,
    .min_args = 1,
    .max_args = -1,
    .args_name = "collection folder",
};

static void on_source(void *user, const char *dir,
                      const collection_merge_counts *n)
{
    const merge_args *a = user;
    if (a->common.quiet) return;
    fprintf(stderr,
            "%s: added %lld, updated %lld, unchanged %lld, removed %lld%s", dir,
            (long long)n->added, (long long)n->updated, (long long)n->unchanged,
            (long long)n->removed, n->conflicts ? "" : "\n");
    if (n->conflicts)
        fprintf(stderr, ", skipped %lld (path held by another collection)\n",
                (long long)n->conflicts);
}

static void print_summary(const merge_summary *s)
{
    const collection_merge_counts *r = &s->rows;
    printf("merged %d collection(s): added %lld, updated %lld, unchanged "
           "%lld, removed %lld, skipped %lld (%.1f s)\n",
           s->sources, (long long)r->added, (long long)r->updated,
           (long long)r->unchanged, (long long)r->removed,
           (long long)r->conflicts, s->seconds);
    if (s->shards_missing > 0)
        fprintf(stderr,
                "note: %d of the %d shards were not given; their images are "
                "not in the merged collection\n",
                s->shards_missing, s->shard_count);
}

static int run_merge(merge_args *a, const cli_positional *pos)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    cli_install_signal_handlers();
    /* Sources first: a refused merge must not create OUT. */
    int rc = indexer_merge_check(a->common.collection,
                                 (const char *const *)pos->v, pos->n, err);
    if (!rc)
        rc = cli_open_session(&a->common, SESSION_WRITE, SESSION_INDEX_IF_BOUND,
                              0, &s, err);
    merge_summary sum;
    if (!rc) {
        merge_options o = {
            .on_source = on_source, .user = a, .cancel = &cli_cancel};
        rc = indexer_merge(session_collection(s), session_index(s),
                           (const char *const *)pos->v, pos->n, &o, &sum, err);
        if (!rc && !a->common.quiet) print_summary(&sum);
    }
    session_close(s);
    return cli_exit_code(rc, err);
}

int cmd_merge(int argc, char **argv)
{
    merge_args a;
    cli_positional pos;
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    a.common.command = merge_cmd.name; /* shown to writers that wait for us */
    if (!cli_parse(&merge_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        if (!a.common.collection)
            code = cli_usage_error(&merge_cmd,
                                   "give the output collection: -C OUT");
        else
            code = run_merge(&a, &pos);
    }
    cli_args_free(&merge_cmd, &a, &pos);
    return code;
}
