/* query/probe_fit.h and probe_metrics.h on synthetic embeddings: metrics
 * against hand-computed values, the folded weights against liblinear's own
 * predictions, separable and overlapping classes, several classes, the
 * minimum number of examples, determinism. */
#include <criterion/criterion.h>
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/probe_fit.h"
#include "query/probe_metrics.h"

static char err[VLM_ERR_MAX];

/* Deterministic normal deviates (Box-Muller over a fixed LCG). */
static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* n unit vectors per class around k random centres; `spread` is the noise
 * per coordinate relative to the centre's. */
static float *clusters(int k, int per, int dims, double spread, int **y)
{
    float *centres = malloc((size_t)k * dims * sizeof *centres);
    for (int i = 0; i < k * dims; i++) centres[i] = (float)gauss();
    float *x = malloc((size_t)k * per * dims * sizeof *x);
    *y = malloc((size_t)k * per * sizeof **y);
    for (int i = 0; i < k * per; i++) {
        int c = i % k;
        double norm = 0;
        for (int j = 0; j < dims; j++) {
            double v = centres[c * dims + j] + spread * gauss() + 3.0;
            x[(size_t)i * dims + j] = (float)v;
            norm += v * v;
        }
        for (int j = 0; j < dims; j++)
            x[(size_t)i * dims + j] /= (float)sqrt(norm);
        (*y)[i] = c;
    }
    free(centres);
    return x;
}

Test(probe_metrics, auc_by_hand)
{
    double s[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
    int p[] = {1, 1, 0, 1, 0, 0};
    /* pairs (pos, neg) ranked right: 3 + 3 + 2 of 9 */
    cr_assert_float_eq(probe_auc(s, p, 6), 8.0 / 9.0, 1e-12);
    double t[] = {0.5, 0.5, 0.5, 0.5};
    int q[] = {1, 0, 1, 0};
    cr_assert_float_eq(probe_auc(t, q, 4), 0.5, 1e-12, "ties count a half");
    int all[] = {1, 1, 1, 1};
    cr_assert(isnan(probe_auc(t, all, 4)), "one class: no AUC");
}

Test(probe_metrics, threshold_for_precision)
{
    double s[] = {0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3};
    int p[] = {1, 1, 0, 1, 1, 0, 0, 1};
    double thr, prec, rec;
    /* >= 0.6: 4 of 5 positive (0.8), recall 0.8, the most at 0.8; the
     * threshold sits between 0.6 and 0.5 */
    cr_assert_eq(probe_threshold_for_precision(s, p, 8, 0.8, &thr, &prec, &rec),
                 0);
    cr_assert_float_eq(thr, 0.55, 1e-12);
    cr_assert_float_eq(prec, 0.8, 1e-12);
    cr_assert_float_eq(rec, 0.8, 1e-12);
    /* >= 0.9: 2 of 2 (precision 1, recall 0.4) */
    cr_assert_eq(
        probe_threshold_for_precision(s, p, 8, 0.99, &thr, &prec, &rec), 0);
    cr_assert_float_eq(thr, 0.85, 1e-12);
    cr_assert_float_eq(rec, 0.4, 1e-12);
    /* separable: recall 1 at precision 1, well above the negatives */
    int sep[] = {1, 1, 1, 1, 0, 0, 0, 0};
    cr_assert_eq(
        probe_threshold_for_precision(s, sep, 8, 0.9, &thr, &prec, &rec), 0);
    cr_assert_float_eq(thr, 0.65, 1e-12);
    cr_assert_float_eq(prec, 1.0, 1e-12);
    cr_assert_float_eq(rec, 1.0, 1e-12);
    int none[] = {0, 0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(
        probe_threshold_for_precision(s, none, 8, 0.5, &thr, &prec, &rec), -1);
    cr_assert(isnan(thr));
    probe_precision_recall(s, p, 8, 0.75, &prec, &rec);
    cr_assert_float_eq(prec, 2.0 / 3.0, 1e-12);
    cr_assert_float_eq(rec, 0.4, 1e-12);
}

Test(probe_fit, separable_classes)
{
    int *y;
    float *x = clusters(2, 40, 32, 0.3, &y);
    probe_fit f;
    cr_assert_eq(probe_fit_train(x, y, 80, 32, 2, NULL, &f, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(f.n_vectors, 1);
    cr_assert_eq(f.folds, 5);
    cr_assert_geq(f.cv_accuracy, 0.99, "cv accuracy %f", f.cv_accuracy);
    cr_assert_geq(f.cv_auc, 0.99);
    cr_assert(!isnan(f.threshold), "precision 0.9 is reachable");
    cr_assert_geq(f.threshold_precision, 0.9);
    int right = 0;
    for (int i = 0; i < 80; i++) {
        double p[2];
        probe_linear_probs(f.weights, f.bias, 2, 32, x + i * 32, p);
        cr_assert_float_eq(p[0] + p[1], 1.0, 1e-12);
        right += (p[0] >= 0.5) == (y[i] == 0);
    }
    cr_assert_eq(right, 80);
    probe_fit_free(&f);
    free(x);
    free(y);
}

Test(probe_fit, overlapping_classes_are_reported_honestly)
{
    int *y;
    float *x = clusters(2, 60, 16, 6.0, &y);
    for (int i = 0; i < 120; i++) y[i] = (int)(uniform() < 0.5); /* noise */
    for (int c = 0; c < 2; c++) { /* keep both classes big enough */
        int n = 0;
        for (int i = 0; i < 120; i++) n += y[i] == c;
        cr_assert_geq(n, 5);
    }
    probe_fit f;
    cr_assert_eq(probe_fit_train(x, y, 120, 16, 2, NULL, &f, err), VLM_OK, "%s",
                 err);
    cr_assert_lt(f.cv_accuracy, 0.75, "random labels: %f", f.cv_accuracy);
    cr_assert_lt(f.cv_auc, 0.75, "random labels: AUC %f", f.cv_auc);
    probe_fit_free(&f);
    free(x);
    free(y);
}

/* The weights folded back onto raw embeddings give liblinear's own
 * probabilities for a model trained at the same C on the standardised
 * rows (what probe_fit.c feeds it). */
Test(probe_fit, folded_weights_match_liblinear)
{
    int *y, dims = 12, n = 60;
    float *x = clusters(2, 30, dims, 1.5, &y);
    probe_fit f;
    cr_assert_eq(probe_fit_train(x, y, n, dims, 2, NULL, &f, err), VLM_OK);
    double mean[12] = {0}, var = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dims; j++) mean[j] += x[i * dims + j] / (double)n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dims; j++)
            var += pow(x[i * dims + j] - mean[j], 2) / ((double)n * dims);
    double s = 1 / sqrt(var);
    struct feature_node *nodes = malloc((size_t)n * (dims + 2) * sizeof *nodes);
    struct feature_node **rows = malloc((size_t)n * sizeof *rows);
    double *yy = malloc((size_t)n * sizeof *yy);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < dims; j++)
            nodes[i * (dims + 2) + j] =
                (struct feature_node){j + 1, s * (x[i * dims + j] - mean[j])};
        nodes[i * (dims + 2) + dims] = (struct feature_node){dims + 1, 1};
        nodes[i * (dims + 2) + dims + 1] = (struct feature_node){-1, 0};
        rows[i] = nodes + i * (dims + 2);
        yy[i] = y[i];
    }
    struct problem p = {.l = n, .n = dims + 1, .y = yy, .x = rows, .bias = 1};
    struct parameter par = {.solver_type = L2R_LR, .eps = 1e-6, .C = f.reg_c};
    struct model *m = train(&p, &par);
    /* Ours stopped at a looser tolerance (FINAL_EPS). */
    for (int i = 0; i < n; i++) {
        double ref[2], ours[2];
        predict_probability(m, rows[i], ref);
        double ref0 = m->label[0] == 0 ? ref[0] : ref[1];
        probe_linear_probs(f.weights, f.bias, 2, dims, x + i * dims, ours);
        cr_assert_float_eq(ours[0], ref0, 1e-3, "row %d: %f vs %f", i, ours[0],
                           ref0);
    }
    free_and_destroy_model(&m);
    free(nodes);
    free(rows);
    free(yy);
    probe_fit_free(&f);
    free(x);
    free(y);
}

Test(probe_fit, three_classes)
{
    int *y;
    float *x = clusters(3, 20, 24, 0.4, &y);
    probe_fit f;
    cr_assert_eq(probe_fit_train(x, y, 60, 24, 3, NULL, &f, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(f.n_vectors, 3);
    cr_assert_geq(f.cv_accuracy, 0.95, "%f", f.cv_accuracy);
    cr_assert(isnan(f.threshold), "no threshold with three classes");
    for (int i = 0; i < 60; i++) {
        double p[3];
        probe_linear_probs(f.weights, f.bias, 3, 24, x + i * 24, p);
        int top = p[1] > p[0] ? 1 : 0;
        top = p[2] > p[top] ? 2 : top;
        cr_assert_eq(top, y[i]);
        cr_assert_float_eq(p[0] + p[1] + p[2], 1.0, 1e-12);
    }
    probe_fit_free(&f);
    free(x);
    free(y);
}

Test(probe_fit, too_few_examples_and_determinism)
{
    int *y;
    float *x = clusters(2, 8, 16, 0.5, &y);
    probe_fit f, g;
    y[0] = y[2] = y[4] = y[6] = 1; /* class 0 keeps 4 of 16 */
    cr_assert_eq(probe_fit_train(x, y, 16, 16, 2, NULL, &f, err), VLM_EINVAL);
    cr_assert(strstr(err, "at least 5"), "%s", err);
    for (int i = 0; i < 16; i++) y[i] = i % 2;
    probe_fit_options o = {.threads = 3};
    cr_assert_eq(probe_fit_train(x, y, 16, 16, 2, &o, &f, err), VLM_OK);
    o.threads = 1;
    cr_assert_eq(probe_fit_train(x, y, 16, 16, 2, &o, &g, err), VLM_OK);
    cr_assert_eq(memcmp(f.weights, g.weights, 16 * sizeof(float)), 0,
                 "the same examples give the same probe");
    cr_assert_eq(f.reg_c, g.reg_c);
    probe_fit_free(&f);
    probe_fit_free(&g);
    free(x);
    free(y);
}
