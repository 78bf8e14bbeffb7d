/* vlmindex dupes: near-duplicate groups, the one to keep first.  Prints;
 * never deletes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cli_filter.h"
#include "bin/commands.h"
#include "query/dupes.h"

typedef struct dupes_args {
    cli_common common;
    float threshold;
    const char *in_dir;
    int keep, format, null_sep;
    cli_filter filter;
    collection_filter cf;
} dupes_args;

#define DA(field) offsetof(dupes_args, field)

static const char *const keep_words[] = {"largest", "oldest", "newest", NULL};
static const char *const dupes_formats[] = {"tsv", "jsonl", NULL};

static const cli_opt dupes_opts[] = {
    CLI_OPT_FLOAT('t', "threshold", DA(threshold), "T", 0.5, 1,
                  "cosine at or above which two images are\n"
                  "near-duplicates (default 0.95)"),
    CLI_OPT_CHOICE(0, "keep", DA(keep), "WHICH", keep_words,
                   "largest (default: most pixels, then bytes) |\n"
                   "oldest | newest (date taken)"),
    CLI_OPT_PARSE(0, "in", DA(in_dir), "DIR", cli_parse_existing_path,
                  "only images under DIR"),
    CLI_OPT_CHOICE('f', "format", DA(format), "FMT", dupes_formats,
                   "tsv (group<TAB>keep|dupe<TAB>cosine<TAB>path,\n"
                   "default) | jsonl (one group per line)"),
    CLI_OPT_FLAG('0', NULL, DA(null_sep),
                 "only the paths not kept, each ending in NUL"),
    CLI_FILTER_OPTS(dupes_args, filter),
    CLI_OPT_END};

static const cli_opt *const dupes_tables[] = {dupes_opts, NULL};

static const cli_command dupes_cmd = {
    .name = "vlmindex dupes",
    .synopsis = "[options]",
    .about = "Near-duplicate groups: images whose vectors have a cosine >= T\n"
             "(a range search), joined into groups, the one to keep first.\n"
             "Nothing is deleted: `vlmindex dupes -0 | xargs -0 ...` is yours.",
    .tables = dupes_tables,
    .max_args = 0,
};

static void json_member(const dupes_member *m)
{
    putchar('{');
    json_write_path(stdout, "path", m->path);
    printf(",\"id\":%lld,\"cosine\":%.6f,\"width\":%d,\"height\":%d,"
           "\"bytes\":%lld",
           (long long)m->id, m->score, m->width, m->height,
           (long long)m->bytes);
    json_write_taken(stdout, m->taken, m->taken_exif, NULL);
    putchar('}');
}

static void print_group(const dupes_args *a, const dupes_group *g, int num)
{
    for (int i = 0; a->null_sep && i < g->n; i++)
        if (i) fwrite(g->m[i].path, 1, strlen(g->m[i].path) + 1, stdout);
    if (a->null_sep) return;
    if (a->format == 1) {
        printf("{\"group\":%d,\"keep\":", num);
        json_member(&g->m[0]);
        fputs(",\"duplicates\":[", stdout);
        for (int i = 1; i < g->n; i++) {
            if (i > 1) putchar(',');
            json_member(&g->m[i]);
        }
        puts("]}");
        return;
    }
    for (int i = 0; i < g->n; i++) {
        printf("%d\t%s\t%.4f\t", num, i ? "dupe" : "keep", g->m[i].score);
        text_write(stdout, g->m[i].path, TEXT_ESCAPED);
        putchar('\n');
    }
}

static int run_dupes(dupes_args *a, char *err)
{
    session *s = NULL;
    dupes_group *g = NULL;
    int n = 0;
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX, 0, &s,
                              err);
    dupes_options o = {.threshold = a->threshold,
                       .in_dir = a->in_dir,
                       .filter = cli_filter_get(&a->filter, &a->cf),
                       .keep = (dupes_keep)a->keep};
    if (!rc) rc = dupes_find(session_collection(s), &o, &g, &n, err);
    for (int i = 0; !rc && i < n; i++) print_group(a, &g[i], i + 1);
    if (!rc && !a->common.quiet && !a->null_sep)
        fprintf(stderr, "%d group(s) of near-duplicates (cosine >= %.3f)\n", n,
                a->threshold);
    dupes_free(g, n);
    session_close(s);
    if (rc) return cli_exit_code(rc, err);
    return n ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int cmd_dupes(int argc, char **argv)
{
    dupes_args a = {0};
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    cli_common_init(&a.common);
    a.threshold = 0.95f;
    if (!cli_parse(&dupes_cmd, argc, argv, &a, &a.common, &pos, &code))
        code = run_dupes(&a, err);
    cli_args_free(&dupes_cmd, &a, &pos);
    return code;
}
