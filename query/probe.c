/*
 * probe.c — training, storing, loading and applying linear probes
 * (probe.h).  The numerics are in probe_fit.c, the examples in
 * probe_examples.c, the evaluation in probe_eval.c.
 */
#include "query/probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_classes(const probe_class_input *classes, int n, char *err)
{
    if (n < 2 || n > PROBE_MAX_CLASSES) {
        vlm_set_err(err, "a probe needs 2 to %d classes, not %d",
                    PROBE_MAX_CLASSES, n);
        return VLM_EINVAL;
    }
    for (int k = 0; k < n; k++) {
        const char *name = classes[k].name;
        int bad = !name || !*name || strlen(name) > PROBE_NAME_MAX;
        for (const char *p = name; !bad && *p; p++)
            bad = (unsigned char)*p < 0x20 || *p == 0x7f;
        if (bad) {
            vlm_set_err(err,
                        "class %d: a class name is 1 to %d printable "
                        "characters",
                        k + 1, PROBE_NAME_MAX);
            return VLM_EINVAL;
        }
        for (int j = 0; j < k; j++)
            if (!strcmp(name, classes[j].name)) {
                vlm_set_err(err, "the class '%s' is given twice", name);
                return VLM_EINVAL;
            }
    }
    return VLM_OK;
}

static int check_counts(const char *probe, const probe_class_input *classes,
                        const probe_examples *e, char *err)
{
    for (int k = 0; k < e->n_classes; k++) {
        int64_t m = 0;
        for (int64_t i = 0; i < e->n; i++) m += e->cls[i] == k;
        if (m >= PROBE_MIN_PER_CLASS) continue;
        vlm_set_err(err,
                    "probe '%s': the class '%s' has %lld example%s; at "
                    "least %d per class are needed (the cross-validation "
                    "that picks the regularisation and measures the probe "
                    "holds out a fifth of them)",
                    probe, classes[k].name, (long long)m, m == 1 ? "" : "s",
                    PROBE_MIN_PER_CLASS);
        return VLM_EINVAL;
    }
    return VLM_OK;
}

/* The fitted weights as the stored probe's classes (pointing into f). */
static int fill_probe(collection_probe *p, const char *name,
                      const collection_model *m, const probe_fit *f,
                      const probe_class_input *classes, const probe_examples *e)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->model_id, sizeof p->model_id, "%s", m->model_id);
    snprintf(p->model_name, sizeof p->model_name, "%s", m->name);
    p->dims = f->dims;
    p->reg_c = f->reg_c;
    p->folds = f->folds;
    p->cv_accuracy = f->cv_accuracy;
    p->cv_auc = f->cv_auc;
    p->cv_logloss = f->cv_logloss;
    p->precision_target = f->n_classes == 2 ? f->precision_target : NAN;
    p->threshold = f->threshold;
    p->threshold_precision = f->threshold_precision;
    p->threshold_recall = f->threshold_recall;
    p->n_classes = f->n_classes;
    p->classes = calloc((size_t)f->n_classes, sizeof *p->classes);
    if (!p->classes) return VLM_ENOMEM;
    for (int k = 0; k < f->n_classes; k++) {
        collection_probe_class *c = &p->classes[k];
        c->name = (char *)classes[k].name;
        for (int64_t i = 0; i < e->n; i++) c->examples += e->cls[i] == k;
        if (k < f->n_vectors) {
            c->weights = f->weights + (size_t)k * f->dims;
            c->bias = f->bias[k];
        }
    }
    return VLM_OK;
}

static int fit_and_store(collection *c, const char *name,
                         const collection_model *m,
                         const probe_class_input *classes,
                         const probe_examples *e, const probe_fit_options *o,
                         char *err)
{
    probe_fit f;
    int rc =
        probe_fit_train(e->x, e->cls, e->n, e->dims, e->n_classes, o, &f, err);
    if (rc) return rc;
    collection_probe p;
    rc = fill_probe(&p, name, m, &f, classes, e);
    if (!rc)
        rc = collection_put_probe(c, &p, (const char *const *)e->paths, e->cls,
                                  e->n, err);
    else
        vlm_set_err(err, "out of memory storing the probe");
    free(p.classes); /* its strings and weights belong to classes and f */
    probe_fit_free(&f);
    return rc;
}

int probe_train(collection *c, const char *name,
                const probe_class_input *classes, int n_classes,
                const probe_fit_options *o, collection_probe *out, char *err)
{
    collection_model m;
    probe_examples e = {0};
    int rc = probe_check_name(name, err);
    if (!rc) rc = check_classes(classes, n_classes, err);
    if (!rc) rc = probe_gather(c, classes, n_classes, &e, err);
    if (!rc) rc = collection_get_model(c, &m, err);
    if (!rc) rc = check_counts(name, classes, &e, err);
    if (!rc) rc = fit_and_store(c, name, &m, classes, &e, o, err);
    probe_examples_free(&e);
    if (!rc && out) rc = collection_get_probe(c, name, out, err);
    return rc;
}

int probe_load(collection *c, const char *name, const char *model_id,
               collection_probe *out, char *err)
{
    int rc = collection_get_probe(c, name, out, err);
    if (rc || !strcmp(out->model_id, model_id)) return rc;
    vlm_set_err(err,
                "probe '%s' was trained under another model ('%s', id "
                "%.12s); this collection's model has id %.12s, where its "
                "weights mean nothing: train it again from its examples "
                "(vlmindex probe show %s lists them)",
                name, out->model_name, out->model_id, model_id, name);
    collection_probe_free(out);
    return VLM_EMISMATCH;
}

int probe_load_current(collection *c, const char *name, collection_probe *out,
                       char *err)
{
    collection_model m;
    int rc = collection_get_model(c, &m, err);
    if (rc == VLM_ENOTFOUND)
        vlm_set_err(err, "the collection has no model yet (nothing indexed)");
    return rc ? rc : probe_load(c, name, m.model_id, out, err);
}

int probe_class_index(const collection_probe *p, const char *cls, char *err)
{
    if (!cls && p->n_classes == 2) return 0;
    for (int k = 0; cls && k < p->n_classes; k++)
        if (!strcmp(p->classes[k].name, cls)) return k;
    char names[VLM_ERR_MAX / 2] = "";
    for (int k = 0; k < p->n_classes; k++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s'%s'", k ? ", " : "",
                 p->classes[k].name);
    }
    if (cls)
        vlm_set_err(err, "probe '%s' has no class '%s' (its classes: %s)",
                    p->name, cls, names);
    else
        vlm_set_err(err,
                    "probe '%s' has %d classes (%s): name one, as "
                    "%s:CLASS",
                    p->name, p->n_classes, names, p->name);
    return VLM_EINVAL;
}

/* Class k's weights and bias, and the sign that turns them into k's logit
 * (class 1 of two is class 0 negated). */
static const float *class_weights(const collection_probe *p, int k,
                                  double *bias, double *sign)
{
    int v = p->n_classes == 2 ? 0 : k;
    *sign = p->n_classes == 2 && k == 1 ? -1.0 : 1.0;
    *bias = *sign * p->classes[v].bias;
    return p->classes[v].weights;
}

void probe_direction(const collection_probe *p, int k, float *dir,
                     double *scale, double *bias)
{
    double sign, norm = 0;
    const float *w = class_weights(p, k, bias, &sign);
    for (int j = 0; j < p->dims; j++) norm += (double)w[j] * w[j];
    norm = sqrt(norm);
    for (int j = 0; j < p->dims; j++)
        dir[j] = norm > 0 ? (float)(sign * w[j] / norm) : 0.0f;
    *scale = norm;
}

double probe_rank_prob(const collection_probe *p, int k, const float *e)
{
    double bias, sign;
    const float *w = class_weights(p, k, &bias, &sign);
    double z = bias;
    for (int j = 0; j < p->dims; j++) z += sign * w[j] * e[j];
    return probe_sigmoid(z);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

int probe_label_set(const collection_probe *p, label_set **out, char *err)
{
    int nv = p->n_classes == 2 ? 1 : p->n_classes;
    const char **labels = calloc((size_t)p->n_classes, sizeof *labels);
    float *w = malloc((size_t)nv * p->dims * sizeof *w);
    double *b = malloc((size_t)nv * sizeof *b);
    int rc = labels && w && b ? VLM_OK : VLM_ENOMEM;
    for (int k = 0; !rc && k < p->n_classes; k++) {
        labels[k] = p->classes[k].name;
        if (k >= nv) continue;
        memcpy(w + (size_t)k * p->dims, p->classes[k].weights,
               (size_t)p->dims * sizeof *w);
        b[k] = p->classes[k].bias;
    }
    char hash[17], when[32];
    snprintf(when, sizeof when, "%lld", (long long)p->created_at);
    uint64_t h = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ull, "probe"), p->name),
                       p->model_id);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a(h, when));
    if (!rc)
        rc = label_set_create_linear(labels, p->n_classes, p->dims, w, b,
                                     p->threshold, hash, out, err);
    else
        vlm_set_err(err, "out of memory");
    free(labels);
    free(w);
    free(b);
    return rc;
}
