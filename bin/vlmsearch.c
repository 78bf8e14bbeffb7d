/*
 * vlmsearch — find images by describing them.
 *
 *   vlmsearch red flowers and blue butterfly
 *   vlmsearch "2:golden retriever" + ./pool.jpg - fruit -n 20 --format jsonl
 *
 *   vlmsearch --probe floral             rank by a trained probe
 *   vlmsearch dress --more-like a.jpg --less-like b.jpg   relevance feedback
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
#include "query/feedback.h"
#include "query/probe.h"
#include "query/rerank.h"
#include "query/result_format.h"
#include "query/search.h"
#include "query/worklist.h"

typedef struct search_args {
    cli_common common;
    search_options so;
    float min_prob; /* --prob; NAN = unset */
    int format, null_sep, worklist;
    int rerank, captions, explain;
    const char *reranker;
    const char *probe; /* --probe NAME[:CLASS] */
    cli_list more, less;
    dicomweb_opts sr; /* --store-sr target */
    int version, include_self;
    int has_query; /* QUERY words were given */
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
    CLI_OPT_FLOAT(0, "prob", SA(min_prob), "P", 0, 1,
                  "only results whose probability is >= P (SigLIP:\n"
                  "the model's own image-text probability; jsonl\n"
                  "shows it as \"prob\" beside the cosine \"score\")"),
    CLI_OPT_PARSE(0, "in", SA(so.in_dir), "DIR", cli_parse_existing_path,
                  "only images under DIR (or that file)"),
    CLI_OPT_FLAG(0, "include-self", SA(include_self),
                 "let an image of the query (or of --more-like/\n"
                 "--less-like) find itself (by default it is left out\n"
                 "of its own results, as in rclip)"),
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
    CLI_OPT_SECTION("Your own examples:"),
    CLI_OPT_TEXT(0, "probe", SA(probe), "NAME[:CLASS]",
                 "rank by a probe (vlmindex probe train; no QUERY):\n"
                 "scores are its probabilities, -t a probability.\n"
                 "In a QUERY, probe:NAME mixes a probe with words"),
    CLI_OPT_LIST(0, "more-like", SA(more), "FILE",
                 "relevance feedback: more like this image\n"
                 "(repeatable; with or without a QUERY)"),
    CLI_OPT_LIST(0, "less-like", SA(less), "FILE",
                 "relevance feedback: less like this image"),
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

static const cli_opt *const search_tables[] = {search_opts, cli_index_opts,
                                               NULL};

static const cli_command search_cmd = {
    .name = "vlmsearch",
    .synopsis =
        "[options] QUERY...\n"
        "[options] --probe NAME[:CLASS]\n"
        "[options] [QUERY...] --more-like FILE... [--less-like FILE...]",
    .about =
        "Finds images in the collection by describing them.  QUERY is words,\n"
        "image paths or URLs (http, https, file), probes, weights and +/-:\n"
        "  \"2:golden retriever\" + ./pool.jpg - fruit + probe:floral",
    .tables = search_tables,
    .min_args = 0,
    .max_args = -1,
    .args_name = "QUERY (words or an image path)",
};

/* Which inputs go together; CLI_EXIT with a usage error when they don't. */
static int check_inputs(search_args *a, int n_words, int *code)
{
    const char *bad = NULL;
    int feedback = a->more.n + a->less.n;
    a->has_query = n_words > 0;
    if (!n_words && !a->probe && !a->more.n)
        bad = a->less.n ? "--less-like needs a QUERY or --more-like: there "
                          "is nothing to move away from"
                        : "give at least one QUERY (words or an image "
                          "path), or --probe NAME, or --more-like FILE";
    else if (a->probe && (n_words || feedback))
        bad = "--probe ranks by the probe alone; to mix it with words write "
              "the query as: red dress + probe:NAME";
    else if ((a->rerank || a->captions) && !n_words)
        bad = "--rerank and --captions match the QUERY's words: give some";
    else if (!isnan(a->min_prob) && !isnan(a->so.min_score))
        bad = "give --threshold (a cosine) or --prob (a probability), not both";
    else if (!isnan(a->min_prob) && a->probe)
        bad = "--prob is the model's image-text probability of a QUERY; a "
              "--probe ranking has its own scores";
    if (!bad) return CLI_PARSED;
    *code = cli_usage_error(&search_cmd, "%s", bad);
    return CLI_EXIT;
}

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
    a->min_prob = NAN;
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--version")) { /* whatever else is given */
            cli_print_version("vlmsearch");
            *code = 0;
            return CLI_EXIT;
        }
    if (cli_parse(&search_cmd, argc, argv, a, co, pos, code)) return CLI_EXIT;
    if (check_inputs(a, pos->n, code)) return CLI_EXIT;
    a->so.use_threshold = !isnan(a->so.min_score);
    a->so.filter = cli_filter_get(&a->filter, &a->cf);
    if (a->null_sep) a->format = RESULT_PATHS;
    return CLI_PARSED;
}

/* Writes the per-study worklist (and the SRs when asked). */
static int write_worklist(const search_args *a, worklist_study *w, int n,
                          const char *ranked_by, const char *model, char *err)
{
    char when[32];
    worklist_time_now(when);
    worklist_context ctx = {ranked_by, model, when};
    worklist_write(stdout, a->format == RESULT_JSONL, w, n, &ctx);
    int stored = 0, rc = VLM_OK;
    if (a->sr.base_url) {
        rc = worklist_store_sr(w, n, &ctx, &a->sr, &stored, err);
        fprintf(stderr,
                "stored %d structured report(s) (UNVERIFIED) in the PACS\n",
                stored);
    }
    return rc;
}

/* Scores every slice and prints the per-study worklist. */
static int print_worklist(const search_args *a, session *s, const query *q,
                          const float *qv, int *n_rows, char *err)
{
    collection *c = session_collection(s);
    collection_model m;
    worklist_study *w = NULL;
    worklist_options wo = {.use_min = a->so.use_threshold,
                           .min_score = a->so.min_score,
                           .max_studies = a->so.top_k};
    int rc = collection_get_model(c, &m, err);
    if (!rc) rc = worklist_for_query(c, qv, m.dims, &wo, &w, n_rows, err);
    if (!rc) {
        char text[1024] = "relevance feedback";
        if (a->has_query) query_text(q, text, sizeof text);
        rc = write_worklist(a, w, *n_rows, text, m.name, err);
    }
    free(w);
    return rc;
}

/* Results whose root is offline are flagged (jsonl "offline":true) and,
 * for the other formats, counted in a note on stderr. */
static void note_offline(const search_args *a, int n_offline)
{
    if (n_offline && !a->common.quiet && a->format != RESULT_JSONL)
        fprintf(stderr,
                "note: %d result(s) lie under an offline root (missing or "
                "unmounted); see `vlmindex status`\n",
                n_offline);
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

/* Sigmoid-scoring models (SigLIP) also give each hit its probability;
 * m is NULL for a probe's ranking (its scores are the probe's). */
static void print_hits(search_args *a, const clip_model *m, const search_hit *h,
                       int n, const char *probe_json)
{
    result_writer w;
    int n_offline = 0;
    result_writer_init(&w, stdout, (result_format)a->format, a->null_sep);
    setup_terminal(a, &w);
    int has_prob = m && clip_model_scoring(m) == CLIP_SCORE_SIGMOID;
    for (int i = 0; i < n; i++) {
        result_row r = {.id = h[i].id,
                        .score = h[i].score,
                        .path = h[i].path,
                        .width = h[i].width,
                        .height = h[i].height,
                        .taken = h[i].taken,
                        .taken_exif = h[i].taken_exif,
                        .camera = h[i].camera,
                        .offline = h[i].offline,
                        .probe_json = probe_json,
                        .has_prob = has_prob};
        if (has_prob) r.prob = clip_pair_probability(m, h[i].score);
        result_writer_row(&w, &r);
        n_offline += h[i].offline;
        preview(a, h[i].path);
    }
    note_offline(a, n_offline);
}

static void print_reranked(search_args *a, const rerank_item *it, int n)
{
    result_writer w;
    int n_offline = 0;
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
                        .camera = it[i].camera,
                        .offline = it[i].offline};
        n_offline += it[i].offline;
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
    note_offline(a, n_offline);
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
    if (!rc) print_hits(a, session_model(s), hits, *n, NULL);
    search_hits_free(hits, *n);
    return rc;
}

/* ---- probes ---------------------------------------------------------------- */

/* "probe 'x' (...)" on stderr: what the ranking came from. */
static void note_probe(const search_args *a, const collection_probe *p,
                       const char *how)
{
    char line[VLM_ERR_MAX];
    if (a->common.quiet) return;
    probe_describe(p, line, sizeof line);
    fprintf(stderr, "%s %s\n", how, line);
}

/* The probe terms of a query, each said once on stderr. */
static void note_query_probes(const search_args *a, session *s, const query *q)
{
    for (int i = 0; a->has_query && i < q->n_terms; i++) {
        if (q->terms[i].kind != QUERY_PROBE) continue;
        char name[COLLECTION_PROBE_NAME_MAX];
        snprintf(name, sizeof name, "%.*s",
                 (int)strcspn(q->terms[i].value, ":"), q->terms[i].value);
        collection_probe p;
        if (probe_load_current(session_collection(s), name, &p, NULL)) continue;
        note_probe(a, &p, "in the query:");
        collection_probe_free(&p);
    }
}

/* --probe NAME[:CLASS] --worklist: each slice's probability of the class
 * (a label set of the probe: probabilities over all its classes). */
static int probe_worklist(const search_args *a, session *s,
                          const collection_probe *p, int k, int *n, char *err)
{
    label_set *ls = NULL;
    worklist_study *w = NULL;
    worklist_options wo = {.use_min = a->so.use_threshold,
                           .min_score = a->so.min_score,
                           .max_studies = a->so.top_k};
    int rc = probe_label_set(p, &ls, err);
    if (!rc)
        rc = worklist_for_label(session_collection(s), ls, k, p->model_id,
                                a->so.in_dir, 0, &wo, &w, n, err);
    if (!rc) {
        char text[VLM_ERR_MAX + 32];
        probe_describe(p, text, sizeof text);
        rc = write_worklist(a, w, *n, text, p->model_name, err);
    }
    free(w);
    label_set_destroy(ls);
    return rc;
}

static int run_probe(search_args *a, session *s, int *n, char *err)
{
    char name[COLLECTION_PROBE_NAME_MAX];
    const char *colon = strchr(a->probe, ':');
    snprintf(name, sizeof name, "%.*s",
             (int)(colon ? colon - a->probe : (long)strlen(a->probe)),
             a->probe);
    collection_probe p = {0};
    int rc = probe_load_current(session_collection(s), name, &p, err);
    int k = rc ? 0 : probe_class_index(&p, colon ? colon + 1 : NULL, err);
    if (!rc && k < 0) rc = k;
    if (!rc) note_probe(a, &p, "ranked by");
    if (!rc && a->worklist) rc = probe_worklist(a, s, &p, k, n, err);
    search_hit *hits = NULL;
    if (!rc && !a->worklist)
        rc = probe_search(session_collection(s), session_index(s), &p, k,
                          &a->so, &hits, n, err);
    char *json = !rc && !a->worklist ? probe_json(&p) : NULL;
    if (!rc && !a->worklist) print_hits(a, NULL, hits, *n, json);
    free(json);
    search_hits_free(hits, rc ? 0 : *n);
    collection_probe_free(&p);
    return rc;
}

/* ---- query vectors ----------------------------------------------------------- */

/* --more-like / --less-like applied to qv (the query's vector, if any);
 * ids[more + less] gets the examples' ids (-1: not indexed). */
static int apply_feedback(search_args *a, session *s, float *qv, int64_t *ids,
                          char *err)
{
    clip_model *m = session_model(s);
    int dims = clip_embed_dim(m);
    float *mv = NULL, *lv = NULL;
    collection *c = session_collection(s);
    int rc = feedback_vectors_by_path(c, m, a->more.v, a->more.n, dims, &mv,
                                      ids, err);
    if (!rc)
        rc = feedback_vectors_by_path(c, m, a->less.v, a->less.n, dims, &lv,
                                      ids + a->more.n, err);
    if (!rc)
        rc = feedback_apply(a->has_query ? qv : NULL, mv, a->more.n, lv,
                            a->less.n, dims, qv, err);
    free(mv);
    free(lv);
    return rc;
}

/* The query vector into qv, and what the search leaves out (*exclude,
 * malloc'ed): the query's own images and the feedback examples, as in
 * rclip, unless --include-self. */
static int query_vector(search_args *a, session *s, const query *q, float *qv,
                        int64_t **exclude, char *err)
{
    collection *c = session_collection(s);
    int n_fb = a->more.n + a->less.n, n_self = 0, rc = VLM_OK;
    int64_t *self = NULL;
    if (a->has_query)
        rc = search_embed_query_in(c, session_model(s), q, qv, err);
    if (!rc && a->has_query) note_query_probes(a, s, q);
    if (!rc && a->has_query && !a->include_self)
        rc = search_self_ids(c, q, &self, &n_self, err);
    *exclude = malloc((size_t)(n_self + n_fb + 1) * sizeof **exclude);
    if (!rc && !*exclude) rc = VLM_ENOMEM;
    if (!rc && n_self) memcpy(*exclude, self, (size_t)n_self * sizeof *self);
    if (!rc && n_fb) rc = apply_feedback(a, s, qv, *exclude + n_self, err);
    free(self);
    a->so.exclude_ids = *exclude;
    a->so.n_exclude = a->include_self ? 0 : n_self + n_fb;
    return rc;
}

static int model_parts(const search_args *a, const query *q)
{
    if (a->probe) return 0; /* the stored embeddings are enough */
    if (a->more.n + a->less.n) return CLIP_PART_ALL; /* unindexed examples */
    return query_has_image(q) ? CLIP_PART_ALL : CLIP_PART_TEXT;
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

/* -C A -C B ...: one search over every collection (of one model). */
static int search_many(search_args *a, session *first, const query *q,
                       const float *qv, int *n, char *err)
{
    const cli_common *co = &a->common;
    if (a->worklist || a->rerank > 0 || a->captions) {
        vlm_set_err(err, "--worklist, --rerank and --captions search one "
                         "collection: merge them first (vlmindex merge)");
        return VLM_EINVAL;
    }
    session **all = calloc((size_t)co->n_collections, sizeof *all);
    int rc = all ? VLM_OK : VLM_ENOMEM, opened = 1;
    if (all) all[0] = first;
    for (; !rc && opened < co->n_collections; opened++)
        rc = session_open_also(first, co->collections[opened], &all[opened],
                               err);
    search_hit *hits = NULL;
    if (!rc)
        rc = search_run_many(all, co->n_collections, qv, &a->so,
                             a->include_self ? NULL : q, &hits, n, err);
    if (!rc) print_hits(a, session_model(first), hits, *n, NULL);
    search_hits_free(hits, rc ? 0 : *n);
    for (int i = 1; all && i < opened; i++) session_close(all[i]);
    free(all);
    return rc;
}

static int run_search(search_args *a, const query *q, char *err)
{
    session *s = NULL;
    int n = 0;
    int64_t *exclude = NULL;
    if (a->common.n_collections > 1) /* the first one opens with the model */
        a->common.collection = a->common.collections[0];
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_INDEX_REQUIRED,
                              model_parts(a, q), &s, err);
    if (!rc && a->probe && a->common.n_collections > 1) {
        vlm_set_err(err, "--probe searches one collection: merge them first "
                         "(vlmindex merge)");
        rc = VLM_EINVAL;
    } else if (!rc && a->probe) {
        rc = run_probe(a, s, &n, err);
    } else if (!rc) {
        clip_model *m = session_model(s);
        float *qv = malloc((size_t)clip_embed_dim(m) * sizeof *qv);
        if (!isnan(a->min_prob)) { /* --prob P as the cosine it stands for */
            rc = search_prob_threshold(m, a->min_prob, &a->so.min_score, err);
            a->so.use_threshold = 1;
        }
        if (!rc)
            rc = qv ? query_vector(a, s, q, qv, &exclude, err) : VLM_ENOMEM;
        if (!rc && a->common.n_collections > 1)
            rc = search_many(a, s, q, qv, &n, err);
        else if (!rc)
            rc = search_and_print(a, s, q, qv, &n, err);
        free(qv);
    }
    if (!rc) note_index_repair(a, session_index(s));
    if (!rc && (a->rerank > 0 || a->captions) && !a->common.quiet &&
        a->format == RESULT_TSV)
        fputs("note: scores are rank-fusion values (--rerank/--captions), not "
              "cosines; --explain shows each part\n",
              stderr);
    free(exclude);
    session_close(s);
    return rc ? EXIT_ERROR : n ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int main(int argc, char **argv)
{
    search_args a;
    cli_positional pos = {0};
    query q = {0};
    char err[VLM_ERR_MAX] = "";
    int code;
    if (parse_args(argc, argv, &a, &pos, &code)) {
        cli_args_free(&search_cmd, &a, &pos);
        return code;
    }
    if (pos.n && query_parse(pos.n, (const char *const *)pos.v, &q, err)) {
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
