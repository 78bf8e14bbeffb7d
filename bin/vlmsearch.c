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
#include "dicomweb/dicomweb.h"
#include "query/rerank.h"
#include "query/result_format.h"
#include "query/search.h"
#include "query/worklist.h"

static const char usage[] =
    "usage: vlmsearch [options] QUERY...\n"
    "  QUERY: words, image paths, weights and +/-:  \"2:golden retriever\" + "
    "./pool.jpg - fruit\n"
    "  -n, --top K            results (default 10)\n"
    "  -t, --threshold S      only results scoring >= S (cosine)\n"
    "      --in DIR           only images under DIR\n"
    "  -f, --format FMT       tsv (default) | paths | jsonl | csv\n"
    "  -0                     NUL-separated paths (like find -print0)\n"
    "  -r, --rerank N         rerank the top N hits with the LLaVA decoder + "
    "captions\n"
    "      --reranker DIR     LLaVA checkpoint (default: the collection's "
    "captioner)\n"
    "      --captions         also match stored captions as text (fused with "
    "vectors)\n"
    "      --explain          show each ranking component (jsonl: "
    "\"explain\")\n"
    "  -W, --worklist         DICOM: one row per study (max and top-3 mean of "
    "its\n"
    "                         slices), csv or --format jsonl; research "
    "triage,\n"
    "                         not a diagnosis\n"
    "      --store-sr URL     with --worklist: write one Basic Text SR per "
    "study back\n"
    "                         to the PACS (STOW-RS; explicit opt-in), --netrc "
    "FILE\n"
    "  -C, --collection DIR   -M, --model DIR|NAME  -T, --tokenizer DIR\n"
    "  -j, --threads N        (default 1)   --bf16   -q, --quiet\n";

typedef struct search_args {
    cli_common common;
    search_options so;
    int format, null_sep, worklist;
    int rerank, captions, explain;
    const char *reranker;
    dicomweb_opts sr; /* --store-sr target */
} search_args;

static const struct option longopts[] = {
    {"top", required_argument, 0, 'n'},
    {"threshold", required_argument, 0, 't'},
    {"in", required_argument, 0, 'I'},
    {"format", required_argument, 0, 'f'},
    {"worklist", no_argument, 0, 'W'},
    {"rerank", required_argument, 0, 'r'},
    {"reranker", required_argument, 0, 'R'},
    {"captions", no_argument, 0, 'c'},
    {"explain", no_argument, 0, 'x'},
    {"store-sr", required_argument, 0, 'S'},
    {"netrc", required_argument, 0, 'N'},
    {"ca-file", required_argument, 0, 'A'},
    {"help", no_argument, 0, 'h'},
    CLI_COMMON_LONGOPTS,
    {0, 0, 0, 0}};

static int parse_args(int argc, char **argv, search_args *a)
{
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    /* One query is a few GFLOP at most: one thread is as fast, and spares
     * OpenMP's spinning threads when the other cores are busy (measured:
     * 60-90 ms vs 150-770 ms per search on a loaded 2-core machine). */
    a->common.threads = 1;
    a->so.top_k = 10;
    int opt;
    while ((opt = getopt_long(argc, argv, "n:t:f:0Wr:h" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        if (cli_common_option(&a->common, opt, optarg)) continue;
        switch (opt) {
        case 'n': a->so.top_k = atoi(optarg); break;
        case 't':
            a->so.use_threshold = 1;
            a->so.min_score = strtof(optarg, NULL);
            break;
        case 'I': a->so.in_dir = optarg; break;
        case 'f':
            if ((a->format = result_format_parse(optarg)) < 0) {
                fprintf(stderr, "vlmsearch: unknown --format '%s'\n", optarg);
                return -1;
            }
            break;
        case '0':
            a->null_sep = 1;
            a->format = RESULT_PATHS;
            break;
        case 'W': a->worklist = 1; break;
        case 'r': a->rerank = atoi(optarg); break;
        case 'R': a->reranker = optarg; break;
        case 'c': a->captions = 1; break;
        case 'x': a->explain = 1; break;
        case 'S': a->sr.base_url = optarg; break;
        case 'N': a->sr.netrc_file = optarg; break;
        case 'A': a->sr.ca_file = optarg; break;
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

/* Scores every slice and prints the per-study worklist. */
static int print_worklist(const search_args *a, session *s, const query *q,
                          const float *qv, int *n_rows, char *err)
{
    clip_model *m = session_model(s);
    worklist_study *w = NULL;
    worklist_options wo = {.use_min = a->so.use_threshold,
                           .min_score = a->so.min_score,
                           .max_studies = a->so.top_k};
    int rc = worklist_for_query(session_collection(s), qv, clip_embed_dim(m),
                                &wo, &w, n_rows, err);
    if (!rc) {
        char when[32], text[1024];
        worklist_time_now(when);
        query_text(q, text, sizeof text);
        worklist_context ctx = {text, clip_model_name(m), when};
        worklist_write(stdout, a->format == RESULT_JSONL, w, *n_rows, &ctx);
        int stored = 0;
        if (a->sr.base_url)
            rc = worklist_store_sr(w, *n_rows, &ctx, &a->sr, &stored, err);
        if (a->sr.base_url)
            fprintf(stderr,
                    "stored %d structured report(s) (UNVERIFIED) in the PACS\n",
                    stored);
    }
    free(w);
    return rc;
}

static void print_hits(const search_args *a, const search_hit *h, int n)
{
    result_writer w;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    for (int i = 0; i < n; i++) {
        result_row r = {h[i].id,    h[i].score,  h[i].path,
                        h[i].width, h[i].height, NULL};
        result_writer_row(&w, &r);
    }
}

static void print_reranked(const search_args *a, const rerank_item *it, int n)
{
    result_writer w;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    for (int i = 0; i < n && i < a->so.top_k; i++) {
        char *ex = a->explain ? rerank_explain_json(&it[i]) : NULL;
        result_row r = {it[i].id,    (float)it[i].fused, it[i].path,
                        it[i].width, it[i].height,       ex};
        if (ex && a->format == RESULT_TSV) { /* the explanation as a column */
            printf("%.4f\t%s\t%s\n", r.score, r.path, ex);
            w.rank++;
        } else {
            result_writer_row(&w, &r);
        }
        free(ex);
    }
}

/* Plain, fused (--rerank / --captions) or per-study (--worklist). */
static int search_and_print(search_args *a, session *s, const query *q,
                            const float *qv, int *n, char *err)
{
    if (a->worklist) return print_worklist(a, s, q, qv, n, err);
    if (a->rerank > 0 || a->captions) {
        rerank_request rr = {a->rerank, a->captions, a->reranker};
        rerank_item *items = NULL;
        int rc = rerank_search(s, q, qv, &a->so, &rr, &items, n, err);
        if (!rc) print_reranked(a, items, *n);
        rerank_items_free(items, *n);
        return rc;
    }
    search_hit *hits = NULL;
    int rc = search_run(session_collection(s), session_index(s), qv, &a->so,
                        &hits, n, err);
    if (!rc) print_hits(a, hits, *n);
    search_hits_free(hits, *n);
    return rc;
}

/* A damaged index was rebuilt from the database: worth a line. */
static void note_index_repair(const search_args *a, vector_index *vi)
{
    vector_index_info in;
    vector_index_get_info(vi, &in);
    if (!a->common.quiet && in.rebuilt &&
        strncmp(in.rebuild_reason, "corrupt", 7) == 0)
        fprintf(stderr,
                "note: the vector index was damaged (%s); rebuilt from the "
                "database\n",
                in.rebuild_reason + strlen("corrupt: "));
}

static int run_search(search_args *a, const query *q, char *err)
{
    session *s = NULL;
    int n = 0;
    int parts = query_has_image(q) ? CLIP_PART_ALL : CLIP_PART_TEXT;
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_INDEX_REQUIRED,
                              parts, &s, err);
    clip_model *m = rc ? NULL : session_model(s);
    float *qv = m ? malloc((size_t)clip_embed_dim(m) * sizeof *qv) : NULL;
    if (!rc) rc = qv ? search_embed_query(m, q, qv, err) : VLM_ENOMEM;
    if (!rc) rc = search_and_print(a, s, q, qv, &n, err);
    if (!rc) note_index_repair(a, session_index(s));
    free(qv);
    session_close(s);
    return rc ? EXIT_ERROR : n ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int main(int argc, char **argv)
{
    search_args a;
    query q;
    char err[VLM_ERR_MAX] = "";
    if (parse_args(argc, argv, &a)) return EXIT_ERROR;
    if (query_parse(argc - optind, (const char *const *)argv + optind, &q,
                    err)) {
        cli_error(err);
        return EXIT_ERROR;
    }
    int code = run_search(&a, &q, err);
    if (code == EXIT_ERROR) cli_error(err);
    query_free(&q);
    return code;
}
