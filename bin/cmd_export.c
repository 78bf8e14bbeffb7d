/* vlmindex export: embeddings + metadata for notebooks (.npy + JSONL, or
 * one safetensors file). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cli_filter.h"
#include "bin/commands.h"
#include "query/export.h"

typedef struct export_args {
    cli_common common;
    int format, force;
    const char *in_dir;
    cli_filter filter;
    collection_filter cf;
} export_args;

#define XA(field) offsetof(export_args, field)

static const char *const export_formats[] = {"npy", "safetensors", NULL};

static const cli_opt export_opts[] = {
    CLI_OPT_CHOICE('f', "format", XA(format), "FMT", export_formats,
                   "npy (default: OUT/embeddings.npy + metadata.jsonl)\n"
                   "| safetensors (one file OUT)"),
    CLI_OPT_FLAG(0, "force", XA(force), "replace files that exist"),
    CLI_OPT_PARSE(0, "in", XA(in_dir), "DIR", cli_parse_existing_path,
                  "only images under DIR"),
    CLI_FILTER_OPTS(export_args, filter), CLI_OPT_END};

static const cli_opt *const export_tables[] = {export_opts, NULL};

static const cli_command export_cmd = {
    .name = "vlmindex export",
    .synopsis = "[options] OUT",
    .about =
        "Writes the collection's embeddings (float32, L2-normalised, by\n"
        "ascending id) and one JSON line of metadata per row (id, path,\n"
        "size, format, bytes, date, camera): numpy.load(OUT/embeddings.npy)\n"
        "or safetensors' safe_open(OUT) for \"embeddings\" and \"ids\".",
    .tables = export_tables,
    .min_args = 1,
    .max_args = 1,
    .args_name = "OUT (a folder, or a file with --format safetensors)",
};

int cmd_export(int argc, char **argv)
{
    export_args a = {0};
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    cli_common_init(&a.common);
    if (!cli_parse(&export_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        session *s = NULL;
        int64_t n = 0;
        int rc = cli_open_session(&a.common, SESSION_READ, SESSION_NO_INDEX, 0,
                                  &s, err);
        export_options o = {.format = (export_format)a.format,
                            .out = pos.v[0],
                            .in_dir = a.in_dir,
                            .filter = cli_filter_get(&a.filter, &a.cf),
                            .overwrite = a.force};
        if (!rc) rc = export_collection(session_collection(s), &o, &n, err);
        if (!rc && !a.common.quiet)
            fprintf(stderr, "exported %lld row(s)\n", (long long)n);
        session_close(s);
        code = cli_exit_code(rc, err);
    }
    cli_args_free(&export_cmd, &a, &pos);
    return code;
}
