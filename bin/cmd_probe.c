/* vlmindex probe train | eval | list | show | rm: linear probes trained
 * from the user's own examples (query/probe.h). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/indexer.h"
#include "query/probe.h"

typedef struct probe_args {
    cli_common common;
    cli_list positive, negative, positive_lists, negative_lists;
    cli_list classes, class_lists;
    float precision;
    int folds, add, examples;
} probe_args;

#define PA(field) offsetof(probe_args, field)

static const cli_opt example_opts[] = {
    CLI_OPT_SECTION("Examples (train, eval): files, or folders (every indexed "
                    "image under them):"),
    CLI_OPT_LIST(0, "positive", PA(positive), "PATH",
                 "an example of NAME (repeatable)"),
    CLI_OPT_LIST(0, "negative", PA(negative), "PATH",
                 "an example of \"not NAME\" (repeatable)"),
    CLI_OPT_LIST(0, "positive-list", PA(positive_lists), "FILE",
                 "positive paths, one a line ('-': stdin)"),
    CLI_OPT_LIST(0, "negative-list", PA(negative_lists), "FILE",
                 "negative paths, one a line"),
    CLI_OPT_LIST(0, "class", PA(classes), "CLASS=PATH",
                 "an example of CLASS: a probe of several classes\n"
                 "(repeatable; instead of --positive/--negative)"),
    CLI_OPT_LIST(0, "class-list", PA(class_lists), "CLASS=FILE",
                 "paths of CLASS, one a line"),
    CLI_OPT_FLAG(0, "add", PA(add),
                 "index the examples first (vlmindex add); without it\n"
                 "they must be indexed already"),
    CLI_OPT_END};

static const cli_opt train_opts[] = {
    CLI_OPT_SECTION("Training:"),
    CLI_OPT_FLOAT(0, "precision", PA(precision), "P", 0.01, 1,
                  "the precision the stored threshold aims at in\n"
                  "cross-validation (two classes; default 0.9)"),
    CLI_OPT_INT(0, "folds", PA(folds), "K", 2, 20,
                "cross-validation folds (default 5)"),
    CLI_OPT_FLAG(0, "examples", PA(examples),
                 "show: also list the training examples"),
    CLI_OPT_END};

static const cli_opt *const probe_tables[] = {example_opts, train_opts, NULL};

static const cli_command probe_cmd = {
    .name = "vlmindex probe",
    .synopsis = "train NAME --positive PATH... --negative PATH... [options]\n"
                "train NAME --class CLASS=PATH... [options]\n"
                "eval NAME --positive PATH... --negative PATH...\n"
                "list | show NAME [--examples] | rm NAME...",
    .about =
        "Linear probes: a classifier learnt from your own labelled images\n"
        "on the stored embeddings (logistic regression, liblinear; C by\n"
        "cross-validation).  Use it with vlmindex classify --probe NAME,\n"
        "vlmsearch --probe NAME or a probe:NAME query term.",
    .tables = probe_tables,
    .min_args = 1,
    .max_args = -1,
    .args_name = "verb (train, eval, list, show or rm)",
};

/* ---- examples ------------------------------------------------------------- */

/* The classes the options describe, and the strings they own. */
typedef struct class_set {
    probe_class_input cls[PROBE_MAX_CLASSES];
    int n;
    char *not_name; /* "not NAME" */
    char **owned;   /* paths read from lists, class names */
    size_t n_owned;
} class_set;

static int own(class_set *s, char *str)
{
    char **grown = realloc(s->owned, (s->n_owned + 1) * sizeof *grown);
    if (!grown || !str) {
        free(str);
        return VLM_ENOMEM;
    }
    s->owned = grown;
    s->owned[s->n_owned++] = str;
    return VLM_OK;
}

static int add_path(probe_class_input *c, const char *path)
{
    const char **grown =
        realloc((void *)c->paths, (size_t)(c->n_paths + 1) * sizeof *grown);
    if (!grown) return VLM_ENOMEM;
    grown[c->n_paths++] = path;
    c->paths = grown;
    return VLM_OK;
}

static int add_list(class_set *s, probe_class_input *c, const char *file,
                    char *err)
{
    char **paths;
    int n, rc = probe_read_list(file, &paths, &n, err);
    for (int i = 0; !rc && i < n; i++) {
        rc = own(s, paths[i]);
        if (!rc) rc = add_path(c, paths[i]);
        paths[i] = NULL;
    }
    collection_free_strings(paths, (size_t)n);
    return rc;
}

/* The class called name (created at the end when new). */
static probe_class_input *find_class(class_set *s, const char *name, size_t len,
                                     char *err)
{
    for (int k = 0; k < s->n; k++)
        if (strlen(s->cls[k].name) == len &&
            !strncmp(s->cls[k].name, name, len))
            return &s->cls[k];
    char *copy = strndup(name, len);
    if (s->n == PROBE_MAX_CLASSES || own(s, copy)) {
        vlm_set_err(err, "too many classes (at most %d)", PROBE_MAX_CLASSES);
        return NULL;
    }
    s->cls[s->n].name = copy;
    return &s->cls[s->n++];
}

/* "CLASS=VALUE" into its class; lists: VALUE is a file of paths. */
static int add_tagged(class_set *s, const char *arg, int list, char *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        vlm_set_err(err, "--class%s '%s': write CLASS=%s", list ? "-list" : "",
                    arg, list ? "FILE" : "PATH");
        return VLM_EINVAL;
    }
    probe_class_input *c = find_class(s, arg, (size_t)(eq - arg), err);
    if (!c) return VLM_EINVAL;
    return list ? add_list(s, c, eq + 1, err) : add_path(c, eq + 1);
}

static int binary_classes(const probe_args *a, const char *name, class_set *s,
                          char *err)
{
    size_t len = strlen(name) + sizeof "not ";
    s->not_name = malloc(len);
    if (!s->not_name) return VLM_ENOMEM;
    snprintf(s->not_name, len, "not %s", name);
    s->n = 2;
    s->cls[0].name = name;
    s->cls[1].name = s->not_name;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < a->positive.n; i++)
        rc = add_path(&s->cls[0], a->positive.v[i]);
    for (int i = 0; !rc && i < a->negative.n; i++)
        rc = add_path(&s->cls[1], a->negative.v[i]);
    for (int i = 0; !rc && i < a->positive_lists.n; i++)
        rc = add_list(s, &s->cls[0], a->positive_lists.v[i], err);
    for (int i = 0; !rc && i < a->negative_lists.n; i++)
        rc = add_list(s, &s->cls[1], a->negative_lists.v[i], err);
    return rc;
}

static void class_set_free(class_set *s)
{
    for (int k = 0; k < s->n; k++) free((void *)s->cls[k].paths);
    collection_free_strings(s->owned, s->n_owned);
    free(s->not_name);
    memset(s, 0, sizeof *s);
}

/* Binary (--positive/--negative) or several classes (--class). */
static int build_classes(const probe_args *a, const char *name, class_set *s,
                         char *err)
{
    int binary = a->positive.n + a->negative.n + a->positive_lists.n +
                 a->negative_lists.n;
    int multi = a->classes.n + a->class_lists.n;
    memset(s, 0, sizeof *s);
    if (binary && multi) {
        vlm_set_err(err, "give either --positive/--negative or --class, "
                         "not both");
        return VLM_EINVAL;
    }
    if (!binary && !multi) {
        vlm_set_err(err, "no examples: give --positive PATH and --negative "
                         "PATH (or --class CLASS=PATH)");
        return VLM_EINVAL;
    }
    if (binary) return binary_classes(a, name, s, err);
    int rc = VLM_OK;
    for (int i = 0; !rc && i < a->classes.n; i++)
        rc = add_tagged(s, a->classes.v[i], 0, err);
    for (int i = 0; !rc && i < a->class_lists.n; i++)
        rc = add_tagged(s, a->class_lists.v[i], 1, err);
    return rc;
}

/* Every example path, for --add. */
static int all_paths(const class_set *s, const char ***out, int *n)
{
    int total = 0;
    for (int k = 0; k < s->n; k++) total += s->cls[k].n_paths;
    *out = calloc((size_t)total + 1, sizeof **out);
    if (!*out) return VLM_ENOMEM;
    *n = 0;
    for (int k = 0; k < s->n; k++)
        for (int i = 0; i < s->cls[k].n_paths; i++)
            (*out)[(*n)++] = s->cls[k].paths[i];
    return VLM_OK;
}

/* ---- sessions ------------------------------------------------------------- */

static void on_index_failure(void *user, const char *path, const char *why)
{
    (void)user, (void)path;
    cli_progress_note("skipped: ", why);
}

static void on_index_progress(void *user, const indexer_progress *p)
{
    (void)user;
    cli_status st = {.unit = "images",
                     .done = p->done,
                     .total = p->total,
                     .elapsed = p->elapsed,
                     .name = p->current};
    cli_progress_update(&st);
}

/* --add: the examples go through `vlmindex add` first. */
static int index_examples(probe_args *a, session *s, const class_set *cs,
                          char *err)
{
    const char **paths;
    int n;
    if (all_paths(cs, &paths, &n)) return VLM_ENOMEM;
    indexer_options o = {.decode_threads = a->common.threads,
                         .cancel = &cli_cancel,
                         .on_progress = on_index_progress,
                         .on_failure = on_index_failure,
                         .user = a};
    indexer_summary sum = {0};
    cli_progress_setup(&a->common);
    int rc = indexer_add(session_collection(s), session_index(s),
                         session_model(s), paths, n, &o, &sum, err);
    cli_progress_end();
    if (!a->common.quiet)
        fprintf(stderr,
                "indexed the examples: added %lld, updated %lld, "
                "unchanged %lld, failed %lld\n",
                (long long)sum.added, (long long)sum.updated,
                (long long)sum.unchanged, (long long)sum.failed);
    free(paths);
    return rc;
}

/* A session on the collection; with --add a writing one that indexes the
 * examples first. */
static int open_for_examples(probe_args *a, const class_set *cs, session **s,
                             char *err)
{
    if (!a->add)
        return cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX, 0,
                                s, err);
    cli_install_signal_handlers();
    a->common.fp32 = VLM_PREC_F32_PACKED; /* many batches: packed weights */
    session_config cfg = cli_session_config(
        &a->common, SESSION_WRITE, SESSION_INDEX_IF_BOUND, CLIP_PART_ALL);
    cfg.fetch_default = true;
    int rc = session_open(&cfg, s, err);
    if (!rc) rc = index_examples(a, *s, cs, err);
    return rc;
}

/* ---- train ------------------------------------------------------------------ */

static void print_classes(const collection_probe *p)
{
    for (int k = 0; k < p->n_classes; k++)
        printf("%s'%s' %lld", k ? ", " : "", p->classes[k].name,
               (long long)p->classes[k].examples);
}

static void print_trained(const collection_probe *p)
{
    int64_t n = 0;
    for (int k = 0; k < p->n_classes; k++) n += p->classes[k].examples;
    printf("probe '%s': %d classes, %lld examples (", p->name, p->n_classes,
           (long long)n);
    print_classes(p);
    printf("), model %s\n", p->model_name);
    printf("cross-validated (%d folds, C = %.3g): accuracy %.3f, AUC %.3f, "
           "log loss %.3f\n",
           p->folds, p->reg_c, p->cv_accuracy, p->cv_auc, p->cv_logloss);
    if (p->n_classes > 2) return;
    if (isnan(p->threshold))
        printf("precision %.2f was not reached in cross-validation: '%s' "
               "when P >= 0.5\n",
               p->precision_target, p->classes[0].name);
    else
        printf("threshold for precision %.2f: '%s' when P >= %.3f "
               "(precision %.3f, recall %.3f in cross-validation)\n",
               p->precision_target, p->classes[0].name, p->threshold,
               p->threshold_precision, p->threshold_recall);
}

static int probe_train_cmd(probe_args *a, const char *name)
{
    char err[VLM_ERR_MAX] = "";
    class_set cs = {0};
    session *s = NULL;
    collection_probe p = {0};
    int rc = probe_check_name(name, err);
    if (!rc) rc = build_classes(a, name, &cs, err);
    if (!rc) rc = open_for_examples(a, &cs, &s, err);
    probe_fit_options o = {.folds = a->folds,
                           .precision_target = a->precision,
                           .threads = a->common.threads};
    if (!rc)
        rc =
            probe_train(session_collection(s), name, cs.cls, cs.n, &o, &p, err);
    if (rc == VLM_ENOTFOUND && !a->add)
        snprintf(err + strlen(err), VLM_ERR_MAX - strlen(err),
                 ", or give --add");
    if (!rc) print_trained(&p);
    collection_probe_free(&p);
    session_close(s);
    class_set_free(&cs);
    return cli_exit_code(rc, err);
}

/* ---- eval ------------------------------------------------------------------- */

/* The given classes in the probe's order (a binary probe: --positive is
 * its class 0, --negative class 1). */
static int order_like_probe(const collection_probe *p, class_set *cs,
                            probe_class_input *out, char *err)
{
    memset(out, 0, (size_t)p->n_classes * sizeof *out);
    for (int k = 0; k < p->n_classes; k++) out[k].name = p->classes[k].name;
    if (cs->not_name) { /* --positive / --negative */
        if (p->n_classes == 2) {
            out[0] = cs->cls[0], out[1] = cs->cls[1];
            return VLM_OK;
        }
        vlm_set_err(err,
                    "probe '%s' has %d classes: give its examples as "
                    "--class CLASS=PATH",
                    p->name, p->n_classes);
        return VLM_EINVAL;
    }
    for (int i = 0; i < cs->n; i++) {
        int k = probe_class_index(p, cs->cls[i].name, err);
        if (k < 0) return k;
        out[k] = cs->cls[i];
        out[k].name = p->classes[k].name;
    }
    return VLM_OK;
}

static void print_eval(const collection_probe *p, const probe_eval_result *r)
{
    printf("probe '%s' on %lld labelled images (", p->name, (long long)r->n);
    for (int k = 0; k < p->n_classes; k++)
        printf("%s'%s' %lld", k ? ", " : "", p->classes[k].name,
               (long long)r->per_class[k]);
    printf("); %lld of them trained it\n", (long long)r->n_training);
    if (p->n_classes == 2) {
        printf("accuracy %.3f ('%s' when P >= %.3f, the %s), AUC %.3f\n",
               r->accuracy, p->classes[0].name, r->threshold,
               isnan(p->threshold) ? "default" : "stored threshold", r->auc);
        printf("precision %.3f, recall %.3f of '%s' at that threshold\n",
               r->precision, r->recall, p->classes[0].name);
    } else {
        printf("accuracy %.3f (the most probable class), AUC %.3f (mean of "
               "one-vs-rest)\n",
               r->accuracy, r->auc);
    }
    if (r->n_training > 0)
        fprintf(stderr,
                "note: %lld of these images are training examples of the "
                "probe, so these numbers are optimistic; evaluate on images "
                "it has not seen\n",
                (long long)r->n_training);
}

static int eval_examples(session *s, const collection_probe *p, class_set *cs,
                         char *err)
{
    probe_class_input ordered[PROBE_MAX_CLASSES];
    probe_examples ex = {0};
    probe_eval_result r = {0};
    int rc = order_like_probe(p, cs, ordered, err);
    if (!rc)
        rc = probe_gather(session_collection(s), ordered, p->n_classes, &ex,
                          err);
    if (!rc) rc = probe_eval(session_collection(s), p, &ex, &r, err);
    if (!rc) print_eval(p, &r);
    probe_eval_result_free(&r);
    probe_examples_free(&ex);
    return rc;
}

static int probe_eval_cmd(probe_args *a, const char *name)
{
    char err[VLM_ERR_MAX] = "";
    class_set cs = {0};
    session *s = NULL;
    collection_probe p = {0};
    int rc = build_classes(a, name, &cs, err);
    if (!rc) rc = open_for_examples(a, &cs, &s, err);
    if (!rc) rc = probe_load_current(session_collection(s), name, &p, err);
    if (!rc) rc = eval_examples(s, &p, &cs, err);
    collection_probe_free(&p);
    session_close(s);
    class_set_free(&cs);
    return cli_exit_code(rc, err);
}

/* ---- list, show, rm ---------------------------------------------------------- */

static int print_list_row(void *ud, const collection_probe *p)
{
    const collection_model *m = ud;
    char when[32];
    time_t t = (time_t)p->created_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    int64_t n = 0;
    for (int k = 0; k < p->n_classes; k++) n += p->classes[k].examples;
    printf("%s\t%d\t%lld\t%.3f\t%.3f\t", p->name, p->n_classes, (long long)n,
           p->cv_accuracy, p->cv_auc);
    if (isnan(p->threshold))
        fputs("-\t", stdout);
    else
        printf("%.3f\t", p->threshold);
    printf("%s\t%s\t%s\n", p->model_name, when,
           strcmp(p->model_id, m->model_id) ? "other model: retrain" : "yes");
    return 0;
}

static int probe_list_cmd(probe_args *a)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    collection_model m = {0};
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX, 0, &s,
                              err);
    /* No model yet: every probe is from another one. */
    if (!rc) collection_get_model(session_collection(s), &m, NULL);
    if (!rc)
        printf("name\tclasses\texamples\tcv_accuracy\tcv_auc\tthreshold\t"
               "model\tcreated\tusable\n");
    if (!rc)
        rc = collection_for_each_probe(session_collection(s), print_list_row,
                                       &m, err);
    session_close(s);
    return cli_exit_code(rc, err);
}

static int print_example(void *ud, const char *path, int cls)
{
    const collection_probe *p = ud;
    /* A record, escaped like every tsv path (docs/output.md). */
    text_write(stdout, cls < p->n_classes ? p->classes[cls].name : "?",
               TEXT_ESCAPED);
    putchar('\t');
    text_write(stdout, path, TEXT_ESCAPED);
    putchar('\n');
    return 0;
}

static int probe_show_cmd(probe_args *a, const char *name)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    collection_probe p = {0};
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX, 0, &s,
                              err);
    if (!rc) rc = collection_get_probe(session_collection(s), name, &p, err);
    if (!rc) {
        print_trained(&p);
        printf("model id %s, %d dimensions\n", p.model_id, p.dims);
    }
    if (!rc && a->examples)
        rc = collection_probe_examples(session_collection(s), name,
                                       print_example, &p, err);
    collection_probe_free(&p);
    session_close(s);
    return cli_exit_code(rc, err);
}

static int probe_rm_cmd(probe_args *a, char **names, int n)
{
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    int rc = cli_open_session(&a->common, SESSION_READ, SESSION_NO_INDEX, 0, &s,
                              err);
    for (int i = 0; !rc && i < n; i++) {
        rc = collection_delete_probe(session_collection(s), names[i], err);
        if (!rc && !a->common.quiet) printf("removed probe '%s'\n", names[i]);
    }
    session_close(s);
    return cli_exit_code(rc, err);
}

/* ---- the verbs ---------------------------------------------------------------- */

static int run_verb(probe_args *a, const cli_positional *pos)
{
    static const char *const verbs[] = {"train", "eval", "list", "show", "rm"};
    const char *verb = pos->v[0], *s = cli_suggest(verb, verbs, 5);
    int n = pos->n - 1;
    if (!strcmp(verb, "list") && n == 0) return probe_list_cmd(a);
    if (!strcmp(verb, "rm") && n >= 1) return probe_rm_cmd(a, pos->v + 1, n);
    if (!strcmp(verb, "train") && n == 1) return probe_train_cmd(a, pos->v[1]);
    if (!strcmp(verb, "eval") && n == 1) return probe_eval_cmd(a, pos->v[1]);
    if (!strcmp(verb, "show") && n == 1) return probe_show_cmd(a, pos->v[1]);
    for (int i = 0; i < 5; i++)
        if (!strcmp(verb, verbs[i]))
            return cli_usage_error(&probe_cmd, "%s %s", verb,
                                   i == 2   ? "takes no NAME"
                                   : i == 4 ? "needs a NAME"
                                            : "needs one NAME");
    if (s)
        return cli_usage_error(&probe_cmd,
                               "unknown verb '%s' (did you mean %s?)", verb, s);
    return cli_usage_error(&probe_cmd, "unknown verb '%s'", verb);
}

int cmd_probe(int argc, char **argv)
{
    probe_args a;
    cli_positional pos;
    int code;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.common);
    if (!cli_parse(&probe_cmd, argc, argv, &a, &a.common, &pos, &code))
        code = run_verb(&a, &pos);
    cli_args_free(&probe_cmd, &a, &pos);
    return code;
}
