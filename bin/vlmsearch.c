/*
 * vlmsearch — find images by describing them.
 *
 *   vlmsearch red flowers and blue butterfly
 *   vlmsearch "2:golden retriever" + ./pool.jpg - fruit -n 20 --format jsonl
 *
 * Exit status: 0 with results, 1 with none, 2 on error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "query/result_format.h"
#include "query/search.h"

static const char usage[] =
    "usage: vlmsearch [options] QUERY...\n"
    "  QUERY: words, image paths, weights and +/-:  \"2:golden retriever\" + ./pool.jpg - fruit\n"
    "  -n, --top K            results (default 10)\n"
    "  -t, --threshold S      only results scoring >= S (cosine)\n"
    "      --in DIR           only images under DIR\n"
    "  -f, --format FMT       tsv (default) | paths | jsonl | csv\n"
    "  -0                     NUL-separated paths (like find -print0)\n"
    "  -C, --collection DIR   -M, --model DIR|NAME  -T, --tokenizer DIR\n"
    "  -j, --threads N        --bf16   -q, --quiet\n";

typedef struct search_args {
    cli_common common;
    search_options so;
    int format, null_sep;
} search_args;

static int parse_args(int argc, char **argv, search_args *a)
{
    static const struct option longopts[] = {
        {"top", required_argument, 0, 'n'},
        {"threshold", required_argument, 0, 't'},
        {"in", required_argument, 0, 'I'},
        {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    a->so.top_k = 10;
    int opt;
    while ((opt = getopt_long(argc, argv, "n:t:f:0h" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (cli_common_option(&a->common, opt, optarg))
            continue;
        switch (opt) {
        case 'n': a->so.top_k = atoi(optarg); break;
        case 't': a->so.use_threshold = 1; a->so.min_score = strtof(optarg, NULL); break;
        case 'I': a->so.in_dir = optarg; break;
        case 'f':
            if ((a->format = result_format_parse(optarg)) < 0) {
                fprintf(stderr, "vlmsearch: unknown --format '%s'\n", optarg);
                return -1;
            }
            break;
        case '0': a->null_sep = 1; a->format = RESULT_PATHS; break;
        case 'h': fputs(usage, stdout); exit(0);
        default: fputs(usage, stderr); return -1;
        }
    }
    if (optind >= argc || a->so.top_k <= 0) {
        fputs(usage, stderr);
        return -1;
    }
    return 0;
}

static void print_hits(const search_args *a, const search_hit *h, int n)
{
    result_writer w;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    for (int i = 0; i < n; i++) {
        result_row r = {h[i].id, h[i].score, h[i].path, h[i].width, h[i].height, NULL};
        result_writer_row(&w, &r);
    }
}

static int run_search(search_args *a, const query *q, char *err)
{
    collection *c = NULL;
    vector_index *vi = NULL;
    clip_model *m = NULL;
    search_hit *hits = NULL;
    int n = 0;
    char dir[4096];
    int rc = cli_open(&a->common, 0, 0, &c, &vi, err);
    if (!rc && !vi) {
        vlm_set_err(err, "the collection is empty: index images first with `vlmindex add DIR`");
        rc = VLM_ENOTFOUND;
    }
    if (!rc)
        rc = cli_resolve_model(&a->common, c, dir, sizeof dir, err);
    if (!rc)
        rc = cli_load_model(&a->common, dir, query_has_image(q) ? CLIP_PART_ALL : CLIP_PART_TEXT,
                            &m, err);
    if (!rc)
        rc = collection_bind_model(c, clip_model_name(m), clip_embed_dim(m),
                                   clip_model_id(m), err);
    float *qv = m ? malloc((size_t)clip_embed_dim(m) * sizeof *qv) : NULL;
    if (!rc)
        rc = qv ? search_embed_query(m, q, qv, err) : VLM_ENOMEM;
    if (!rc)
        rc = search_run(c, vi, qv, &a->so, &hits, &n, err);
    if (!rc)
        print_hits(a, hits, n);
    search_hits_free(hits, n);
    free(qv);
    clip_model_destroy(m);
    vector_index_close(vi);
    collection_close(c);
    return rc ? EXIT_ERROR : n ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int main(int argc, char **argv)
{
    search_args a;
    query q;
    char err[VLM_ERR_MAX] = "";
    if (parse_args(argc, argv, &a))
        return EXIT_ERROR;
    if (query_parse(argc - optind, (const char *const *)argv + optind, &q, err)) {
        cli_error(err);
        return EXIT_ERROR;
    }
    int code = run_search(&a, &q, err);
    if (code == EXIT_ERROR)
        cli_error(err);
    query_free(&q);
    return code;
}
