/*
 * probe_eval.c — a stored probe scored on labelled examples (probe.h):
 * accuracy with the probe's own decision rule, AUC, and for two classes
 * precision and recall at the stored threshold.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/probe.h"
#include "query/probe_metrics.h"

typedef struct path_set {
    char **v;
    size_t n, cap;
} path_set;

static int keep_path(void *ud, const char *path, int cls)
{
    path_set *s = ud;
    (void)cls;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **grown = realloc(s->v, cap * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        s->v = grown;
        s->cap = cap;
    }
    return (s->v[s->n] = strdup(path)) ? (s->n++, VLM_OK) : VLM_ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How many of the examples trained the probe (by path). */
static int count_training(collection *c, const collection_probe *p,
                          const probe_examples *ex, int64_t *out, char *err)
{
    path_set s = {0};
    int rc = collection_probe_examples(c, p->name, keep_path, &s, err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory");
    if (!rc) qsort(s.v, s.n, sizeof *s.v, cmp_str);
    *out = 0;
    for (int64_t i = 0; !rc && i < ex->n; i++)
        *out += bsearch(&ex->paths[i], s.v, s.n, sizeof *s.v, cmp_str) != NULL;
    collection_free_strings(s.v, s.n);
    return rc;
}

/* Class c's one-vs-rest AUC over probs [n][k]; NAN if c is absent. */
static double class_auc(const probe_examples *ex, const double *probs, int k,
                        int c, double *score, int *pos)
{
    for (int64_t i = 0; i < ex->n; i++) {
        score[i] = probs[i * k + c];
        pos[i] = ex->cls[i] == c;
    }
    return probe_auc(score, pos, ex->n);
}

static void binary_metrics(const probe_examples *ex, const double *probs,
                           const collection_probe *p, probe_eval_result *r,
                           double *score, int *pos)
{
    int64_t right = 0;
    r->threshold = isnan(p->threshold) ? 0.5 : p->threshold;
    r->auc = class_auc(ex, probs, 2, 0, score, pos);
    for (int64_t i = 0; i < ex->n; i++)
        right += (score[i] >= r->threshold) == (ex->cls[i] == 0);
    r->accuracy = ex->n ? (double)right / (double)ex->n : NAN;
    probe_precision_recall(score, pos, ex->n, r->threshold, &r->precision,
                           &r->recall);
}

static void multi_metrics(const probe_examples *ex, const double *probs, int k,
                          probe_eval_result *r, double *score, int *pos)
{
    int64_t right = 0;
    for (int64_t i = 0; i < ex->n; i++) {
        const double *pr = probs + i * k;
        int top = 0;
        for (int c = 1; c < k; c++) top = pr[c] > pr[top] ? c : top;
        right += top == ex->cls[i];
    }
    r->accuracy = ex->n ? (double)right / (double)ex->n : NAN;
    double sum = 0;
    int defined = 0;
    for (int c = 0; c < k; c++) {
        double a = class_auc(ex, probs, k, c, score, pos);
        if (!isnan(a)) sum += a, defined++;
    }
    r->auc = defined ? sum / defined : NAN;
    r->threshold = r->precision = r->recall = NAN;
}

int probe_eval(collection *c, const collection_probe *p,
               const probe_examples *ex, probe_eval_result *r, char *err)
{
    int k = p->n_classes, nv = k == 2 ? 1 : k;
    memset(r, 0, sizeof *r);
    r->n = ex->n;
    if (ex->n_classes != k || ex->dims != p->dims) {
        vlm_set_err(err,
                    "probe '%s': the examples have %d classes and %d "
                    "dimensions, the probe %d and %d",
                    p->name, ex->n_classes, ex->dims, k, p->dims);
        return VLM_EINVAL;
    }
    double *probs = malloc((size_t)(ex->n ? ex->n : 1) * k * sizeof *probs);
    double *score = malloc((size_t)(ex->n ? ex->n : 1) * sizeof *score);
    float *w = malloc((size_t)nv * p->dims * sizeof *w);
    double *b = malloc((size_t)nv * sizeof *b);
    int *pos = malloc((size_t)(ex->n ? ex->n : 1) * sizeof *pos);
    r->per_class = calloc((size_t)k, sizeof *r->per_class);
    int rc =
        probs && score && w && b && pos && r->per_class ? VLM_OK : VLM_ENOMEM;
    for (int v = 0; !rc && v < nv; v++) {
        memcpy(w + (size_t)v * p->dims, p->classes[v].weights,
               (size_t)p->dims * sizeof *w);
        b[v] = p->classes[v].bias;
    }
    for (int64_t i = 0; !rc && i < ex->n; i++) {
        probe_linear_probs(w, b, k, p->dims, ex->x + i * p->dims,
                           probs + i * k);
        r->per_class[ex->cls[i]]++;
    }
    if (!rc && k == 2) binary_metrics(ex, probs, p, r, score, pos);
    if (!rc && k > 2) multi_metrics(ex, probs, k, r, score, pos);
    if (!rc) rc = count_training(c, p, ex, &r->n_training, err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory evaluating");
    free(probs), free(score), free(w), free(b), free(pos);
    return rc;
}

void probe_eval_result_free(probe_eval_result *r)
{
    free(r->per_class);
    r->per_class = NULL;
}
