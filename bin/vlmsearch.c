/*
 * vlmsearch — find images by describing them.
 *
 *   vlmsearch red flowers and blue butterfly
 *   vlmsearch "2:golden retriever" + ./pool.jpg - fruit -n 20 --format jsonl
 *
 * Exit status: 0 with results, 1 with none, 2 on error, 130 interrupted.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cli_filter.h"
#include "bin/cli_terminal.h"
#include "dicomweb/dicomweb.h"
#include "query/rerank.h"
#include "query/result_format.h"
#include "query/search.h"
#include "query/worklist.h"

typedef struct search_args {
    cli_common common;
    search_options so;
    int format, null_sep, worklist;
    int rerank, captions, explain;
    const char *reranker;
    dicomweb_opts sr; /* --store-sr target */
    int version, include_self;
    int preview, preview_height;
    preview_protocol proto;
    cli_filter filter;
    collection_filter cf;
} search_args;

#define SA(field) offsetof(search_args, field)

static const char *const format_names[] = {"tsv", "paths", "jsonl", "csv",
                                           NULL};

static const cli_opt search_opts[] = {
    CLI_OPT_INT('n', "top", SA(so.top_k), "K", 1, 1000000,
                "how many results (default 10)"),
    {.short_name = 't',
     .long_name = "threshold",
     .type = CLI_FLOAT,
     .offset = SA(so.min_score),
     .metavar = "S",
     .min = -1,
     .max = 1,
     .help = "only results scoring >= S (a cosine, -1 to 1)",
     .hint = "the threshold is a cosine in [-1,1]; for the top {} use -n {}"},
    CLI_OPT_PARSE(0, "in", SA(so.in_dir), "DIR", cli_parse_existing_path,
                  "only images under DIR (or that file)"),
    CLI_OPT_FLAG(0, "include-self", SA(include_self),
                 "let an image of the query find itself (by default\n"
                 "it is left out of its own results, as in rclip)"),
    CLI_OPT_CHOICE('f', "format", SA(format), "FMT", format_names,
                   "tsv (score<TAB>path, default) | paths | jsonl | csv"),
    CLI_OPT_FLAG('0', NULL, SA(null_sep),
                 "paths ending in NUL, not newline (xargs -0)"),
    CLI_OPT_FLAG('p', "preview", SA(preview),
                 "show each result's image in the terminal (kitty,\n"
                 "iTerm2 or sixel; VLMINDEX_PREVIEW forces one)"),
    CLI_OPT_INT('H', "preview-height", SA(preview_height), "PX", 16, 4096,
                "preview height in pixels (default 400)"),
    CLI_OPT_FLAG(0, "version", SA(version), "print the version and exit"),
    CLI_FILTER_OPTS(search_args, filter),
    CLI_OPT_SECTION("Reranking:"),
    CLI_OPT_INT('r', "rerank", SA(rerank), "N", 1, 10000,
                "rerank the top N hits with the LLaVA decoder\n"
                "and captions (scores become fusion values)"),
    CLI_OPT_TEXT(0, "reranker", SA(reranker), "DIR",
                 "LLaVA checkpoint (default: the collection's captioner)"),
    CLI_OPT_FLAG(0, "captions", SA(captions),
                 "also match stored captions as text (fused with\n"
                 "the vector ranking: scores become fusion values)"),
    CLI_OPT_FLAG(0, "explain", SA(explain),
                 "show each ranking component (jsonl: \"explain\")"),
    CLI_OPT_SECTION("DICOM worklists (research triage, not a diagnosis):"),
    CLI_OPT_FLAG('W', "worklist", SA(worklist),
                 "one row per study (max and top-3 mean of its\n"
                 "slices), csv or --format jsonl"),
    CLI_OPT_TEXT(0, "store-sr", SA(sr.base_url), "URL",
                 "with --worklist: write one Basic Text SR per study\n"
                 "back to the PACS (STOW-RS; explicit opt-in)"),
    CLI_OPT_TEXT(0, "netrc", SA(sr.netrc_file), "FILE",
                 "credentials for --store-sr (mode 0600)"),
    CLI_OPT_TEXT(0, "ca-file", SA(sr.ca_file), "PEM",
                 "CA certificates for --store-sr"),
    CLI_OPT_END};

static const cli_opt *const search_tables[] = {search_opts, NULL};

static const cli_command search_cmd = {
    .name = "vlmsearch",
    .synopsis = "[options] QUERY...",
    .about =
        "Finds images in the collection by describing them.  QUERY is words,\n"
        "image paths or URLs (http, https, file), weights and +/-:\n"
        "  \"2:golden retriever\" + ./pool.jpg - fruit",
    .tables = search_tables,
    .min_args = 1,
    .max_args = -1,
    .args_name = "QUERY (words or an image path)",
};

/* Parses into a (defaults first); CLI_EXIT with *code on --help or error. */
static int parse_args(int argc, char **argv, search_args *a,
                      cli_positional *pos, int *code)
{
    cli_common *co = &a->common;
    memset(a, 0, sizeof *a);
    cli_common_init(co);
    /* One query is a few GFLOP at most: one thread is as fast, and spares
     * OpenMP's spinning threads when the other cores are busy (measured:
     * 60-90 ms vs 150-770 ms per search on a loaded 2-core machine). */
    co->threads = 1;
    a->so.top_k = 10;
    a->preview_height = 400;
    a->so.min_score = NAN; /* unset: no threshold */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--version")) { /* whatever else is given */
            cli_print_version("vlmsearch");
            *code = 0;
            return CLI_EXIT;
        }
    if (cli_parse(&search_cmd, argc, argv, a, co, pos, code)) return CLI_EXIT;
    a->so.use_threshold = !isnan(a->so.min_score);
    a->so.filter = cli_filter_get(&a->filter, &a->cf);
    if (a->null_sep) a->format = RESULT_PATHS;
    return CLI_PARSED;
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

/* Whether the rows get previews and hyperlinks, said once. */
static void setup_terminal(search_args *a, result_writer *w)
{
    int lines = a->format == RESULT_TSV || a->format == RESULT_PATHS;
    result_writer_hyperlinks(w, lines && !a->null_sep && cli_hyperlinks());
    if (!a->preview) return;
    const char *why = NULL;
    a->proto =
        lines && !a->null_sep ? cli_preview_protocol(&why) : PREVIEW_NONE;
    if (!lines || a->null_sep) why = "previews go with tsv or paths output";
    if (a->proto == PREVIEW_NONE) fprintf(stderr, "note: --preview: %s\n", why);
}

static void preview(const search_args *a, const char *path)
{
    char err[VLM_ERR_MAX] = "";
    if (a->proto == PREVIEW_NONE) return;
    fflush(stdout);
    if (preview_write(stdout, path, a->proto, a->preview_height, err))
        cli_progress_note("note: no preview: ", err);
}

static void print_hits(search_args *a, const search_hit *h, int n)
{
    result_writer w;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    setup_terminal(a, &w);
    for (int i = 0; i < n; i++) {
        result_row r = {.id = h[i].id,
                        .score = h[i].score,
                        .path = h[i].path,
                        .width = h[i].width,
                        .height = h[i].height,
                        .taken = h[i].taken,
                        .taken_exif = h[i].taken_exif,
                        .camera = h[i].camera};
        result_writer_row(&w, &r);
        preview(a, h[i].path);
    }
}

static void print_reranked(search_args *a, const rerank_item *it, int n)
{
    result_writer w;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    setup_terminal(a, &w);
    for (int i = 0; i < n && i < a->so.top_k; i++) {
        char *ex = a->explain ? rerank_explain_json(&it[i]) : NULL;
        result_row r = {.id = it[i].id,
                        .score = (float)it[i].fused,
                        .path = it[i].path,
                        .width = it[i].width,
                        .height = it[i].height,
                        .extra_json = ex,
                        .taken = it[i].taken,
                        .taken_exif = it[i].taken_exif,
                        .camera = it[i].camera};
        if (ex && a->format == RESULT_TSV) { /* the explanation as a column */
            printf("%.4f\t", r.score);
            text_write(stdout, r.path, TEXT_ESCAPED);
            printf("\t%s\n", ex);
            w.rank++;
        } else {
            result_writer_row(&w, &r);
        }
        preview(a, it[i].path);
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
    int64_t *self = NULL;
    if (!rc) rc = qv ? search_embed_query(m, q, qv, err) : VLM_ENOMEM;
    if (!rc && !a->include_self)
        rc = search_self_ids(session_collection(s), q, &self, &a->so.n_exclude,
                             err);
    a->so.exclude_ids = self;
    if (!rc) rc = search_and_print(a, s, q, qv, &n, err);
    if (!rc) note_index_repair(a, session_index(s));
    if (!rc && (a->rerank > 0 || a->captions) && !a->common.quiet &&
        a->format == RESULT_TSV)
        fputs("note: scores are rank-fusion values (--rerank/--captions), not "
              "cosines; --explain shows each part\n",
              stderr);
    free(self);
    free(qv);
    session_close(s);
    return rc ? EXIT_ERROR : n ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int main(int argc, char **argv)
{
    search_args a;
    cli_positional pos = {0};
    query q;
    char err[VLM_ERR_MAX] = "";
    int code;
    if (parse_args(argc, argv, &a, &pos, &code)) {
        cli_args_free(&search_cmd, &a, &pos);
        return code;
    }
    if (query_parse(pos.n, (const char *const *)pos.v, &q, err)) {
        cli_error(err);
        cli_args_free(&search_cmd, &a, &pos);
        return EXIT_ERROR;
    }
    code = run_search(&a, &q, err);
    if (code == EXIT_ERROR) cli_error(err);
    query_free(&q);
    cli_args_free(&search_cmd, &a, &pos);
    return code;
}
