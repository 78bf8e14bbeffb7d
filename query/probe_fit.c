/*
 * probe_fit.c — liblinear's L2-regularised logistic regression (its primal
 * trust-region Newton solver, L2R_LR) over embeddings, C chosen by
 * stratified k-fold cross-validation (probe_fit.h).  The folds of one C
 * are trained in parallel threads; liblinear's primal solver keeps no
 * global state.
 */
#include "query/probe_fit.h"

#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/probe_metrics.h"

#define C_LOG10_MIN (-4.0)
#define C_STEPS     15 /* 10^-4 ... 10^3 in half decades */
#define C_PATIENCE  2
/* liblinear's default stopping tolerance for L2R_LR while searching C; the
 * final model, warm-started, goes ten times further. */
#define FIT_EPS   0.01
#define FINAL_EPS 0.001

/* The training set as liblinear sees it, and the folds. */
typedef struct fit_data {
    int64_t n;
    int dims, k, nv, folds; /* nv: weight vectors (1 for two classes) */
    const int *y;
    struct feature_node *nodes; /* n rows of dims + bias + terminator */
    struct feature_node **rows;
    double *mean, scale; /* x' = scale * (x - mean) */
    int *fold;           /* fold of each row */
} fit_data;

/* One fold's training problem, its warm start and its last solution. */
typedef struct fold_job {
    const fit_data *d;
    int f;
    double c;
    struct problem prob;
    double *sol; /* liblinear's layout, (dims+1) * nv; NULL before the 1st */
    double *oof; /* shared [n][k]: this fold writes its held-out rows */
    int ok;
} fold_job;

static void quiet(const char *s) { (void)s; }

static uint64_t next_random(uint64_t *s)
{
    /* xorshift64*: a fixed seed makes the folds, and so the probe, the same
     * for the same examples. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* Stratified: each class's rows shuffled and dealt round the folds, each
 * class starting where the previous one stopped (even fold sizes). */
static int assign_folds(fit_data *d)
{
    int64_t *idx = malloc((size_t)d->n * sizeof *idx);
    if (!idx) return VLM_ENOMEM;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int64_t dealt = 0;
    for (int c = 0; c < d->k; c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < d->n; i++)
            if (d->y[i] == c) idx[m++] = i;
        for (int64_t i = m - 1; i > 0; i--) {
            int64_t j = (int64_t)(next_random(&seed) % (uint64_t)(i + 1));
            int64_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        for (int64_t i = 0; i < m; i++)
            d->fold[idx[i]] = (int)((dealt + i) % d->folds);
        dealt += m;
    }
    free(idx);
    return VLM_OK;
}

/* Centre and scale (one factor for all features), as liblinear rows. */
static void build_rows(fit_data *d, const float *x)
{
    int dims = d->dims;
    double var = 0;
    for (int64_t i = 0; i < d->n; i++)
        for (int j = 0; j < dims; j++) d->mean[j] += x[i * dims + j];
    for (int j = 0; j < dims; j++) d->mean[j] /= (double)d->n;
    for (int64_t i = 0; i < d->n; i++)
        for (int j = 0; j < dims; j++) {
            double v = x[i * dims + j] - d->mean[j];
            var += v * v;
        }
    var /= (double)d->n * dims;
    d->scale = var > 1e-20 ? 1.0 / sqrt(var) : 1.0;
    for (int64_t i = 0; i < d->n; i++) {
        struct feature_node *r = d->nodes + i * (dims + 2);
        for (int j = 0; j < dims; j++)
            r[j] = (struct feature_node){
                j + 1, d->scale * (x[i * dims + j] - d->mean[j])};
        r[dims] = (struct feature_node){dims + 1, 1.0}; /* the bias */
        r[dims + 1] = (struct feature_node){-1, 0};
        d->rows[i] = r;
    }
}

static int count_classes(const int *y, int64_t n, int k, int64_t *counts,
                         char *err)
{
    memset(counts, 0, (size_t)k * sizeof *counts);
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= k) {
            vlm_set_err(err, "probe: example %lld has class %d of %d",
                        (long long)i, y[i], k);
            return VLM_EINVAL;
        }
        counts[y[i]]++;
    }
    for (int c = 0; c < k; c++)
        if (counts[c] < PROBE_MIN_PER_CLASS) {
            vlm_set_err(err,
                        "probe: class %d has %lld examples; at least %d per "
                        "class are needed",
                        c, (long long)counts[c], PROBE_MIN_PER_CLASS);
            return VLM_EINVAL;
        }
    return VLM_OK;
}

static int setup_data(fit_data *d, const float *x, const int *y,
                      const probe_fit_options *o, char *err)
{
    int64_t *counts = malloc((size_t)d->k * sizeof *counts);
    if (!counts) return VLM_ENOMEM;
    int rc = count_classes(y, d->n, d->k, counts, err);
    int64_t smallest = counts[0];
    for (int c = 1; c < d->k; c++)
        smallest = counts[c] < smallest ? counts[c] : smallest;
    free(counts);
    if (rc) return rc;
    d->y = y;
    d->nv = d->k == 2 ? 1 : d->k;
    d->folds = o && o->folds > 1 ? o->folds : PROBE_DEFAULT_FOLDS;
    if (d->folds > smallest) d->folds = (int)smallest;
    d->nodes = malloc((size_t)d->n * (d->dims + 2) * sizeof *d->nodes);
    d->rows = malloc((size_t)d->n * sizeof *d->rows);
    d->mean = calloc((size_t)d->dims, sizeof *d->mean);
    d->fold = malloc((size_t)d->n * sizeof *d->fold);
    if (!d->nodes || !d->rows || !d->mean || !d->fold) return VLM_ENOMEM;
    build_rows(d, x);
    return assign_folds(d);
}

static void free_data(fit_data *d)
{
    free(d->nodes);
    free(d->rows);
    free(d->mean);
    free(d->fold);
}

/* ---- liblinear models -> our weights ------------------------------------ */

/* liblinear's weights of vector v (class order, not its label order) at
 * feature j, for a model trained on labels 0..k-1.  Two classes: positive
 * decision values mean class 0. */
static double model_weight(const struct model *m, int v, int j)
{
    if (m->nr_class == 2) return m->label[0] == 0 ? m->w[j] : -m->w[j];
    for (int c = 0; c < m->nr_class; c++)
        if (m->label[c] == v) return m->w[(size_t)j * m->nr_class + c];
    return 0;
}

/* Our layout [nv][dims + 1] (last: bias) in standardised space. */
static void model_to_std(const struct model *m, int nv, int dims, double *w)
{
    for (int v = 0; v < nv; v++)
        for (int j = 0; j <= dims; j++)
            w[(size_t)v * (dims + 1) + j] = model_weight(m, v, j);
}

/* Probabilities of class 0..k-1 for one standardised row. */
static void std_probs(const double *w, int nv, int k, int dims,
                      const struct feature_node *r, double *probs)
{
    double sum = 0;
    for (int v = 0; v < nv; v++) {
        const double *wv = w + (size_t)v * (dims + 1);
        double z = wv[dims];
        for (int j = 0; j < dims; j++) z += wv[j] * r[j].value;
        probs[v] = probe_sigmoid(z);
        sum += probs[v];
    }
    if (k == 2) {
        probs[1] = 1 - probs[0];
        return;
    }
    for (int v = 0; v < k; v++) probs[v] = sum > 0 ? probs[v] / sum : 1.0 / k;
}

/* ---- one fold at one C --------------------------------------------------- */

static struct model *train_at(const struct problem *p, double c, double eps,
                              double *init)
{
    struct parameter par = {
        .solver_type = L2R_LR, .eps = eps, .C = c, .init_sol = init};
    if (check_parameter(p, &par)) return NULL;
    return train(p, &par);
}

static void *run_fold(void *arg)
{
    fold_job *j = arg;
    const fit_data *d = j->d;
    struct model *m = train_at(&j->prob, j->c, FIT_EPS, j->sol);
    j->ok = m != NULL;
    if (!m) return NULL;
    size_t sz = (size_t)(d->dims + 1) * d->nv;
    if (!j->sol) j->sol = malloc(sz * sizeof *j->sol);
    double *w = malloc(sz * sizeof *w);
    if (!j->sol || !w) j->ok = 0;
    if (j->ok) {
        memcpy(j->sol, m->w, sz * sizeof *j->sol); /* next C's start */
        model_to_std(m, d->nv, d->dims, w);
        for (int64_t i = 0; i < d->n; i++)
            if (d->fold[i] == j->f)
                std_probs(w, d->nv, d->k, d->dims, d->rows[i],
                          j->oof + i * d->k);
    }
    free(w);
    free_and_destroy_model(&m);
    return NULL;
}

static int make_job(const fit_data *d, int f, double *oof, fold_job *j)
{
    int64_t m = 0;
    for (int64_t i = 0; i < d->n; i++) m += d->fold[i] != f;
    *j = (fold_job){.d = d, .f = f, .oof = oof};
    j->prob.l = (int)m;
    j->prob.n = d->dims + 1;
    j->prob.bias = 1;
    j->prob.y = malloc((size_t)m * sizeof *j->prob.y);
    j->prob.x = malloc((size_t)m * sizeof *j->prob.x);
    if (!j->prob.y || !j->prob.x) return VLM_ENOMEM;
    m = 0;
    for (int64_t i = 0; i < d->n; i++)
        if (d->fold[i] != f) {
            j->prob.y[m] = d->y[i];
            j->prob.x[m++] = d->rows[i];
        }
    return VLM_OK;
}

static void free_job(fold_job *j)
{
    free(j->prob.y);
    free(j->prob.x);
    free(j->sol);
}

/* Every fold at C, `threads` at a time (the caller trains one of them). */
static int run_folds(fold_job *jobs, int folds, double c, int threads)
{
    pthread_t tid[64];
    char started[64];
    int ok = 1;
    for (int f = 0; f < folds; f += threads) {
        int n = folds - f < threads ? folds - f : threads;
        for (int t = 0; t < n; t++) {
            jobs[f + t].c = c;
            started[t] =
                t > 0 && !pthread_create(&tid[t], NULL, run_fold, &jobs[f + t]);
            if (!started[t]) run_fold(&jobs[f + t]);
        }
        for (int t = 1; t < n; t++)
            if (started[t]) pthread_join(tid[t], NULL);
        for (int t = 0; t < n; t++) ok &= jobs[f + t].ok;
    }
    return ok ? VLM_OK : VLM_ENOMEM;
}

/* ---- the C search ----------------------------------------------------------- */

static double log_loss(const fit_data *d, const double *oof)
{
    double s = 0;
    for (int64_t i = 0; i < d->n; i++) {
        double p = oof[i * d->k + d->y[i]];
        s -= log(p > 1e-15 ? p : 1e-15);
    }
    return s / (double)d->n;
}

typedef struct search_state {
    double best_c, best_loss;
    double *best_oof; /* [n][k] at best_c */
    double *best_sol; /* fold 0's solution at best_c (the final warm start) */
} search_state;

static int search_c(const fit_data *d, int threads, search_state *s)
{
    size_t per = (size_t)d->n * d->k;
    double *oof = malloc(per * sizeof *oof);
    size_t sz = (size_t)(d->dims + 1) * d->nv;
    s->best_oof = malloc(per * sizeof *s->best_oof);
    s->best_sol = malloc(sz * sizeof *s->best_sol);
    fold_job *jobs = calloc((size_t)d->folds, sizeof *jobs);
    int rc = oof && s->best_oof && s->best_sol && jobs ? VLM_OK : VLM_ENOMEM;
    for (int f = 0; !rc && f < d->folds; f++)
        rc = make_job(d, f, oof, &jobs[f]);
    s->best_loss = INFINITY;
    for (int i = 0, worse = 0; !rc && i < C_STEPS && worse < C_PATIENCE; i++) {
        double c = pow(10.0, C_LOG10_MIN + 0.5 * i);
        rc = run_folds(jobs, d->folds, c, threads);
        double loss = rc ? INFINITY : log_loss(d, oof);
        worse = loss < s->best_loss ? 0 : worse + 1;
        if (!rc && loss < s->best_loss) {
            s->best_loss = loss;
            s->best_c = c;
            memcpy(s->best_oof, oof, per * sizeof *oof);
            memcpy(s->best_sol, jobs[0].sol, sz * sizeof *s->best_sol);
        }
    }
    for (int f = 0; jobs && f < d->folds; f++) free_job(&jobs[f]);
    free(jobs);
    free(oof);
    return rc;
}

/* ---- metrics and the final model ---------------------------------------- */

static void cv_metrics(const fit_data *d, const double *oof, probe_fit *out)
{
    int64_t right = 0;
    double *score = malloc((size_t)d->n * sizeof *score);
    int *pos = malloc((size_t)d->n * sizeof *pos);
    for (int64_t i = 0; i < d->n; i++) {
        const double *p = oof + i * d->k;
        int top = 0;
        for (int c = 1; c < d->k; c++) top = p[c] > p[top] ? c : top;
        right += top == d->y[i];
    }
    out->cv_accuracy = (double)right / (double)d->n;
    out->cv_auc = NAN;
    if (score && pos) {
        double sum = 0;
        int n_classes = d->k == 2 ? 1 : d->k; /* class 0's AUC is class 1's */
        for (int c = 0; c < n_classes; c++) {
            for (int64_t i = 0; i < d->n; i++) {
                score[i] = oof[i * d->k + c];
                pos[i] = d->y[i] == c;
            }
            sum += probe_auc(score, pos, d->n);
        }
        out->cv_auc = sum / n_classes;
        if (d->k == 2) /* score/pos hold class 0 */
            probe_threshold_for_precision(
                score, pos, d->n, out->precision_target, &out->threshold,
                &out->threshold_precision, &out->threshold_recall);
    }
    free(score);
    free(pos);
}

/* Folds the standardisation into the weights: w.(s(e - m)) + b =
 * (s w).e + (b - s w.m). */
static int final_model(const fit_data *d, search_state *s, probe_fit *out)
{
    struct problem p = {
        .l = (int)d->n, .n = d->dims + 1, .bias = 1, .x = d->rows};
    p.y = malloc((size_t)d->n * sizeof *p.y);
    double *w = malloc((size_t)(d->dims + 1) * d->nv * sizeof *w);
    out->weights = malloc((size_t)d->nv * d->dims * sizeof *out->weights);
    out->bias = malloc((size_t)d->nv * sizeof *out->bias);
    int rc = p.y && w && out->weights && out->bias ? VLM_OK : VLM_ENOMEM;
    struct model *m = NULL;
    for (int64_t i = 0; !rc && i < d->n; i++) p.y[i] = d->y[i];
    if (!rc && !(m = train_at(&p, s->best_c, FINAL_EPS, s->best_sol)))
        rc = VLM_ENOMEM;
    if (m) model_to_std(m, d->nv, d->dims, w);
    for (int v = 0; m && v < d->nv; v++) {
        const double *wv = w + (size_t)v * (d->dims + 1);
        double b = wv[d->dims];
        for (int j = 0; j < d->dims; j++) {
            out->weights[(size_t)v * d->dims + j] = (float)(d->scale * wv[j]);
            b -= d->scale * wv[j] * d->mean[j];
        }
        out->bias[v] = b;
    }
    if (m) free_and_destroy_model(&m);
    free(p.y);
    free(w);
    return rc;
}

static int cores(int threads)
{
    long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int probe_fit_train(const float *x, const int *y, int64_t n, int dims,
                    int n_classes, const probe_fit_options *o, probe_fit *out,
                    char *err)
{
    memset(out, 0, sizeof *out);
    if (n_classes < 2 || n_classes > PROBE_MAX_CLASSES || dims < 1 || n < 1 ||
        n > INT32_MAX) {
        vlm_set_err(err,
                    "probe: needs 2 to %d classes and at most 2^31 "
                    "examples",
                    PROBE_MAX_CLASSES);
        return VLM_EINVAL;
    }
    set_print_string_function(quiet); /* liblinear prints to stdout */
    fit_data d = {.n = n, .dims = dims, .k = n_classes};
    search_state s = {0};
    int rc = setup_data(&d, x, y, o, err);
    out->n_classes = n_classes;
    out->dims = dims;
    out->n_vectors = d.nv;
    out->folds = d.folds;
    out->precision_target = o && o->precision_target > 0
                                ? o->precision_target
                                : PROBE_DEFAULT_PRECISION;
    out->threshold = out->threshold_precision = out->threshold_recall = NAN;
    if (!rc) rc = search_c(&d, cores(o ? o->threads : 0), &s);
    if (!rc) {
        out->reg_c = s.best_c;
        out->cv_logloss = s.best_loss;
        cv_metrics(&d, s.best_oof, out);
        rc = final_model(&d, &s, out);
    }
    if (rc == VLM_ENOMEM) vlm_set_err(err, "probe: out of memory training");
    free(s.best_oof);
    free(s.best_sol);
    free_data(&d);
    if (rc) probe_fit_free(out);
    return rc;
}

void probe_fit_free(probe_fit *f)
{
    if (!f) return;
    free(f->weights);
    free(f->bias);
    f->weights = NULL;
    f->bias = NULL;
}

double probe_sigmoid(double z)
{
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

void probe_linear_probs(const float *weights, const double *bias, int n_classes,
                        int dims, const float *e, double *probs)
{
    int nv = n_classes == 2 ? 1 : n_classes;
    double sum = 0;
    for (int v = 0; v < nv; v++) {
        const float *w = weights + (size_t)v * dims;
        double z = bias[v];
        for (int j = 0; j < dims; j++) z += (double)w[j] * e[j];
        probs[v] = probe_sigmoid(z);
        sum += probs[v];
    }
    if (n_classes == 2) {
        probs[1] = 1 - probs[0];
        return;
    }
    for (int v = 0; v < n_classes; v++)
        probs[v] = sum > 0 ? probs[v] / sum : 1.0 / n_classes;
}
