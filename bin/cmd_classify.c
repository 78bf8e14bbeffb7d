/* vlmindex classify: zero-shot labels over a collection, as CSV or JSONL. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "query/classify.h"
#include "query/result_format.h"
#include "query/worklist.h"

static const char classify_usage[] =
    "usage: vlmindex classify (--label TEXT)... | --labels FILE [options]\n"
    "  -l, --label TEXT      a label (repeatable)\n"
    "  -L, --labels FILE     labels, one per line ('#' comments)\n"
    "  -t, --template TPL    prompt template with {} (repeatable, averaged;\n"
    "                        default \"a photo of {}\")\n"
    "      --in DIR          only images under DIR\n"
    "      --min-prob P      only images whose top probability is >= P\n"
    "      --only LABEL      only images whose top label is LABEL (a filter)\n"
    "  -f, --format csv|jsonl  (default csv)   --no-store  don't save results\n"
    "  -W, --worklist        DICOM: with --only LABEL, one row per study "
    "ranked by\n"
    "                        the label's probability (research triage, not a\n"
    "                        diagnosis)\n";

typedef struct classify_args {
    cli_common common;
    const char **labels, **templates;
    int n_labels, n_templates;
    char **file_labels;
    int n_file_labels;
    const char *in_dir, *only;
    float min_prob;
    int jsonl, store, csv_header_done, worklist;
    const label_set *ls;
} classify_args;

/* Every image's probability of --only, one row per study. */
static int print_worklist(classify_args *a, collection *c, const label_set *ls,
                          int label, clip_model *m, int64_t *n_rows, char *err)
{
    worklist_study *w = NULL;
    int n = 0;
    worklist_options wo = {.use_min = a->min_prob > 0,
                           .min_score = a->min_prob};
    int rc = worklist_for_label(c, ls, label, clip_model_id(m), a->in_dir,
                                a->store, &wo, &w, &n, err);
    if (!rc) {
        char when[32];
        worklist_time_now(when);
        worklist_context ctx = {a->only, clip_model_name(m), when};
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
    if (a->jsonl) {
        fputs("{\"path\":", stdout);
        json_write_string(stdout, r->path);
        fputs(",\"label\":", stdout);
        json_write_string(stdout, label_set_label(a->ls, r->top));
        printf(",\"prob\":%.6f,\"probs\":{", r->probs[r->top]);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', stdout);
            json_write_string(stdout, label_set_label(a->ls, i));
            printf(":%.6f", r->probs[i]);
        }
        fputs("}}\n", stdout);
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

static int parse_classify(int argc, char **argv, classify_args *a)
{
    static const struct option longopts[] = {
        {"label", required_argument, 0, 'l'},
        {"labels", required_argument, 0, 'L'},
        {"template", required_argument, 0, 't'},
        {"in", required_argument, 0, 'I'},
        {"min-prob", required_argument, 0, 'P'},
        {"only", required_argument, 0, 'o'},
        {"format", required_argument, 0, 'f'},
        {"no-store", no_argument, 0, 'N'},
        {"worklist", no_argument, 0, 'W'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    char err[VLM_ERR_MAX];
    a->store = 1;
    a->labels = calloc((size_t)argc, sizeof *a->labels);
    a->templates = calloc((size_t)argc, sizeof *a->templates);
    int opt;
    while ((opt = getopt_long(argc, argv, "l:L:t:f:Wh" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        if (cli_common_option(&a->common, opt, optarg)) continue;
        switch (opt) {
        case 'l': a->labels[a->n_labels++] = optarg; break;
        case 'L':
            if (classify_read_labels(optarg, &a->file_labels, &a->n_file_labels,
                                     err)) {
                cli_error(err);
                return -1;
            }
            break;
        case 't': a->templates[a->n_templates++] = optarg; break;
        case 'I': a->in_dir = optarg; break;
        case 'P': a->min_prob = strtof(optarg, NULL); break;
        case 'o': a->only = optarg; break;
        case 'f':
            if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl")) {
                fprintf(stderr,
                        "vlmindex classify: --format must be csv or jsonl\n");
                return -1;
            }
            a->jsonl = !strcmp(optarg, "jsonl");
            break;
        case 'N': a->store = 0; break;
        case 'W': a->worklist = 1; break;
        case 'h': fputs(classify_usage, stdout); exit(0);
        default: fputs(classify_usage, stderr); return -1;
        }
    }
    return 0;
}

/* Labels from --label then from --labels FILE, in that order. */
static const char **all_labels(classify_args *a, int *n)
{
    const char **out =
        calloc((size_t)(a->n_labels + a->n_file_labels + 1), sizeof *out);
    if (!out) return NULL;
    memcpy(out, a->labels, (size_t)a->n_labels * sizeof *out);
    for (int i = 0; i < a->n_file_labels; i++)
        out[a->n_labels + i] = a->file_labels[i];
    *n = a->n_labels + a->n_file_labels;
    return out;
}

static int find_label(const label_set *ls, const char *name)
{
    for (int i = 0; i < label_set_count(ls); i++)
        if (!strcmp(label_set_label(ls, i), name)) return i;
    return -2;
}

/* The label set and the index of --only (-1 without it). */
static int prepare_labels(classify_args *a, clip_model *m, const char **labels,
                          int n, label_set **ls, int *only, char *err)
{
    int rc =
        label_set_create(m, labels, n, a->templates, a->n_templates, ls, err);
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
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX,
                              CLIP_PART_TEXT, &s, err);
    clip_model *m = rc ? NULL : session_model(s);
    if (!rc) rc = prepare_labels(a, m, labels, n, &ls, &only, err);
    if (!rc && a->worklist)
        rc = print_worklist(a, session_collection(s), ls, only, m, &reported,
                            err);
    else if (!rc) {
        a->ls = ls;
        classify_options o = {.in_dir = a->in_dir,
                              .min_prob = a->min_prob,
                              .only = only,
                              .store = a->store,
                              .on_row = print_row,
                              .user = a};
        rc = classify_collection(session_collection(s), ls, clip_model_id(m),
                                 &o, &reported, err);
    }
    label_set_destroy(ls);
    session_close(s);
    if (rc) return EXIT_ERROR;
    return reported ? EXIT_RESULTS : EXIT_NO_RESULTS;
}

int cmd_classify(int argc, char **argv)
{
    classify_args a = {0};
    char err[VLM_ERR_MAX] = "";
    cli_common_init(&a.common);
    int n = 0, code = EXIT_ERROR;
    const char **labels = NULL;
    if (!parse_classify(argc, argv, &a) && (labels = all_labels(&a, &n))) {
        code = run_classify(&a, labels, n, err);
        if (code == EXIT_ERROR) cli_error(err);
    }
    free(labels);
    free(a.labels);
    free(a.templates);
    collection_free_strings(a.file_labels, (size_t)a.n_file_labels);
    return code;
}
