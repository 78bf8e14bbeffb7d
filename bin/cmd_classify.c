/* vlmindex classify: zero-shot labels over a collection, as CSV or JSONL. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/cli_filter.h"
#include "bin/commands.h"
#include "query/classify.h"
#include "query/probe.h"
#include "query/result_format.h"
#include "query/worklist.h"

typedef struct classify_args {
    cli_common common;
    cli_list labels, templates, label_files;
    char **file_labels;
    int n_file_labels;
    const char *in_dir, *only;
    const char *probe; /* --probe NAME */
    char *probe_json;  /* what JSON lines say scored them */
    float min_prob;
    int format; /* 0 csv, 1 jsonl */
    int no_store, worklist, null_sep;
    cli_filter filter;
    collection_filter cf;
    int jsonl, store, csv_header_done;
    const label_set *ls;
} classify_args;

#define CA(field) offsetof(classify_args, field)

static const char *const classify_formats[] = {"csv", "jsonl", NULL};

static const cli_opt classify_opts[] = {
    CLI_OPT_LIST('l', "label", CA(labels), "TEXT", "a label (repeatable)"),
    CLI_OPT_LIST('L', "labels", CA(label_files), "FILE",
                 "labels, one per line ('#' comments)"),
    {.short_name = 't',
     .long_name = "template",
     .type = CLI_LIST,
     .offset = CA(templates),
     .metavar = "TPL",
     .help = "prompt template with {} (repeatable, averaged;\n"
             "default \"a photo of {}\")"},
    CLI_OPT_TEXT(0, "probe", CA(probe), "NAME",
                 "a trained probe's classes and probabilities instead\n"
                 "of labels (vlmindex probe train)"),
    CLI_OPT_PARSE(0, "in", CA(in_dir), "DIR", cli_parse_existing_path,
                  "only images under DIR"),
    CLI_OPT_FLOAT(0, "min-prob", CA(min_prob), "P", 0, 1,
                  "only images whose top probability is >= P"),
    CLI_OPT_TEXT(0, "only", CA(only), "LABEL",
                 "only images whose top label is LABEL (a filter)"),
    CLI_OPT_CHOICE('f', "format", CA(format), "FMT", classify_formats,
                   "csv (default) | jsonl"),
    CLI_OPT_FLAG('0', NULL, CA(null_sep),
                 "only the paths, each ending in NUL (xargs -0)"),
    CLI_OPT_FLAG(0, "no-store", CA(no_store),
                 "don't save the results in the collection"),
    CLI_FILTER_OPTS(classify_args, filter),
    CLI_OPT_SECTION("DICOM:"),
    CLI_OPT_FLAG('W', "worklist", CA(worklist),
                 "DICOM: with --only LABEL, one row per study ranked\n"
                 "by the label's probability (research triage, not a\n"
                 "diagnosis)"),
    CLI_OPT_END};

static const cli_opt *const classify_tables[] = {classify_opts, cli_writer_opts,
                                                 NULL};

static const cli_command classify_cmd = {
    .name = "vlmindex classify",
    .synopsis = "(--label TEXT)... | --labels FILE [options]\n"
                "--probe NAME [options]",
    .about = "Zero-shot labels over the collection: each image gets the\n"
             "probabilities of the labels, as CSV or JSON lines.  With\n"
             "--probe, the classes of a probe trained from your examples.",
    .tables = classify_tables,
    .max_args = 0,
};

/* Every image's probability of --only, one row per study. */
static int print_worklist(classify_args *a, collection *c, const label_set *ls,
                          int label, const collection_model *m, int64_t *n_rows,
                          char *err)
{
    worklist_study *w = NULL;
    int n = 0;
    worklist_options wo = {.use_min = a->min_prob > 0,
                           .min_score = a->min_prob};
    int rc = worklist_for_label(c, ls, label, m->model_id, a->in_dir, a->store,
                                &wo, &w, &n, err);
    if (!rc) {
        char when[32], what[VLM_ERR_MAX];
        worklist_time_now(when);
        if (a->probe) /* written as in a query */
            snprintf(what, sizeof what, "probe:%s:%s", a->probe, a->only);
        else
            snprintf(what, sizeof what, "%s", a->only);
        worklist_context ctx = {what, m->name, when};
        worklist_write(stdout, a->jsonl, w, n, &ctx);
    }
    free(w);
    *n_rows = n;
    return rc;
}

static int print_row(void *user, const classify_row *r)
{
    classify_args *a = user;
    int n = label_set_count(a->ls);
    if (a->null_sep) {
        fwrite(r->path, 1, strlen(r->path) + 1, stdout);
        return 0;
    }
    if (a->jsonl) {
        fputc('{', stdout);
        json_write_path(stdout, "path", r->path);
        fputs(",\"label\":", stdout);
        json_write_string(stdout, label_set_label(a->ls, r->top));
        json_write_taken(stdout, r->taken, r->taken_exif, r->camera);
        printf(",\"prob\":%.6f,\"probs\":{", r->probs[r->top]);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', stdout);
            json_write_string(stdout, label_set_label(a->ls, i));
            printf(":%.6f", r->probs[i]);
        }
        fputc('}', stdout);
        if (a->probe_json) printf(",\"probe\":%s", a->probe_json);
        fputs("}\n", stdout);
        return 0;
    }
    if (!a->csv_header_done) {
        fputs("path,label,prob", stdout);
        for (int i = 0; i < n; i++) {
            fputc(',', stdout);
            csv_write_field(stdout, label_set_label(a->ls, i));
        }
        fputc('\n', stdout);
        a->csv_header_done = 1;
    }
    csv_write_field(stdout, r->path);
    fputc(',', stdout);
    csv_write_field(stdout, label_set_label(a->ls, r->top));
    printf(",%.6f", r->probs[r->top]);
    for (int i = 0; i < n; i++) printf(",%.6f", r->probs[i]);
    fputc('\n', stdout);
    return 0;
}

/* Reads every --labels file; each label list is appended in order. */
static int read_label_files(classify_args *a, char *err)
{
    for (int i = 0; i < a->label_files.n; i++) {
        char **more = NULL;
        int n_more = 0;
        int rc = classify_read_labels(a->label_files.v[i], &more, &n_more, err);
        if (rc) return rc;
        char **all =
            realloc(a->file_labels,
                    (size_t)(a->n_file_labels + n_more + 1) * sizeof *all);
        if (!all) {
            collection_free_strings(more, (size_t)n_more);
            return VLM_ENOMEM;
        }
        memcpy(all + a->n_file_labels, more, (size_t)n_more * sizeof *all);
        free(more);
        a->file_labels = all;
        a->n_file_labels += n_more;
    }
    return VLM_OK;
}

/* Labels from --label then from --labels FILE, in that order. */
static const char **all_labels(classify_args *a, int *n)
{
    const char **out =
        calloc((size_t)(a->labels.n + a->n_file_labels + 1), sizeof *out);
    if (!out) return NULL;
    if (a->labels.n)
        memcpy(out, a->labels.v, (size_t)a->labels.n * sizeof *out);
    for (int i = 0; i < a->n_file_labels; i++)
        out[a->labels.n + i] = a->file_labels[i];
    *n = a->labels.n + a->n_file_labels;
    return out;
}

static int find_label(const label_set *ls, const char *name)
{
    for (int i = 0; i < label_set_count(ls); i++)
        if (!strcmp(label_set_label(ls, i), name)) return i;
    return -2;
}

/* --probe: the probe's label set; said on stderr and in JSON lines. */
static int probe_labels(classify_args *a, collection *c, label_set **ls,
                        char *err)
{
    collection_probe p = {0};
    int rc = probe_load_current(c, a->probe, &p, err);
    if (!rc) rc = probe_label_set(&p, ls, err);
    if (!rc && !(a->probe_json = probe_json(&p))) rc = VLM_ENOMEM;
    if (!rc && !a->common.quiet) {
        char line[VLM_ERR_MAX];
        probe_describe(&p, line, sizeof line);
        fprintf(stderr, "classified by %s\n", line);
    }
    /* A binary probe's worklist ranks by its own class. */
    if (!rc && a->worklist && !a->only && label_set_count(*ls) == 2)
        a->only = label_set_label(*ls, 0);
    collection_probe_free(&p);
    return rc;
}

/* The label set and the index of --only (-1 without it). */
static int prepare_labels(classify_args *a, session *s, const char **labels,
                          int n, label_set **ls, int *only, char *err)
{
    int rc = a->probe
                 ? probe_labels(a, session_collection(s), ls, err)
                 : label_set_create(session_model(s), labels, n, a->templates.v,
                                    a->templates.n, ls, err);
    *only = -1;
    if (!rc && a->only && (*only = find_label(*ls, a->only)) < 0) {
        vlm_set_err(err, "--only '%s' is not one of the labels", a->only);
        rc = VLM_EINVAL;
    }
    if (!rc && a->worklist && !a->only) {
        vlm_set_err(
            err,
            "--worklist needs --only LABEL (the finding to rank studies by)");
        rc = VLM_EINVAL;
    }
    return rc;
}

static int run_classify(classify_args *a, const char **labels, int n, char *err)
{
    session *s = NULL;
    label_set *ls = NULL;
    int64_t reported = 0;
    int only = -1;
    collection_model m = {0};
    /* Storing results changes the collection: the writer lock.  A probe
     * needs no model: the stored embeddings are what it scores. */
    int rc =
        cli_open_session(&a->common, a->store ? SESSION_MODIFY : SESSION_READ,
                         SESSION_NO_INDEX, a->probe ? 0 : CLIP_PART_TEXT, &s,
                         err);
    if (!rc) rc = collection_get_model(session_collection(s), &m, err);
    if (!rc) rc = prepare_labels(a, s, labels, n, &ls, &only, err);
    if (!rc && a->worklist)
        rc = print_worklist(a, session_collection(s), ls, only, &m, &reported,
                            err);
    else if (!rc) {
        a->ls = ls;
        classify_options o = {.in_dir = a->in_dir,
                              .filter = cli_filter_get(&a->filter, &a->cf),
                              .min_prob = a->min_prob,
                              .only = only,
                              .store = a->store,
                              .on_row = print_row,
                              .user = a};
        rc = classify_collection(session_collection(s), ls, m.model_id, &o,
                                 &reported, err);
    }
    label_set_destroy(ls);
    session_close(s);
    if (rc) return EXIT_ERROR;
    return reported ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int cmd_classify(int argc, char **argv)
{
    classify_args a = {0};
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    cli_common_init(&a.common);
    a.common.command = classify_cmd.name;
    int n = 0, code;
    const char **labels = NULL;
    if (!cli_parse(&classify_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        a.jsonl = a.format == 1;
        a.store = !a.no_store;
        int rc = read_label_files(&a, err);
        if (!rc && !(labels = all_labels(&a, &n))) rc = VLM_ENOMEM;
        if (!rc && a.probe && (n || a.templates.n)) {
            vlm_set_err(err, "--probe takes the place of --label, --labels "
                             "and --template: give one or the other");
            rc = VLM_EINVAL;
        }
        /* Before the model loads: a bad label costs no time. */
        if (!rc && !a.probe)
            rc =
                label_input_check(labels, n, a.templates.v, a.templates.n, err);
        code = rc ? EXIT_ERROR : run_classify(&a, labels, n, err);
        if (code == EXIT_ERROR) cli_error(err);
    }
    free(labels);
    free(a.probe_json);
    collection_free_strings(a.file_labels, (size_t)a.n_file_labels);
    cli_args_free(&classify_cmd, &a, &pos);
    return code;
}
