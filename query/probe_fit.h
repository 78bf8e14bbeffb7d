/*
 * probe_fit.h — L2-regularised logistic regression on embeddings (a
 * "linear probe"), trained by liblinear, with the regularisation C picked
 * by stratified k-fold cross-validation.
 *
 * Rows are the collection's L2-normalised embeddings.  Training sees them
 * centred and scaled by one number (so every feature has about unit
 * variance and liblinear's bias feature, 1, is on the same scale); the
 * weights handed back are folded back onto the raw embeddings, so a
 * probe is applied as logit = w . e + b.
 *
 * C runs over 10^-4 ... 10^3 in half decades, smallest first, each fold
 * warm-started from its solution at the previous C; the search stops once
 * the cross-validated log loss has grown for two steps in a row.  C is the
 * one with the lowest out-of-fold log loss (a proper scoring rule: it
 * rewards calibrated probabilities, where accuracy ties on small sets).
 * The metrics are those of the out-of-fold predictions at that C; the
 * final weights are trained on every example.
 *
 * Probabilities (liblinear's rule for logistic regression):
 *   two classes:  P(class 0) = 1 / (1 + exp(-(w . e + b))), P(1) = 1 - P(0)
 *   K classes:    one-vs-rest s_k = 1 / (1 + exp(-(w_k . e + b_k))),
 *                 P(k) = s_k / sum_j s_j
 */
#ifndef VLM_PROBE_FIT_H
#define VLM_PROBE_FIT_H

#include <stdint.h>

#include "model/core/vlm_error.h"

#define PROBE_MIN_PER_CLASS     5 /* below this, 5-fold CV means nothing */
#define PROBE_MAX_CLASSES       256
#define PROBE_DEFAULT_FOLDS     5
#define PROBE_DEFAULT_PRECISION 0.9

typedef struct probe_fit_options {
    int folds;               /* 0 = 5; at most the smallest class's size */
    double precision_target; /* two classes; 0 = 0.9 */
    int threads;             /* folds trained at once; 0 = all cores */
} probe_fit_options;

typedef struct probe_fit {
    int n_classes, dims;
    int n_vectors;  /* 1 for two classes, else n_classes */
    float *weights; /* [n_vectors][dims], over the raw embeddings */
    double *bias;   /* [n_vectors] */
    double reg_c;   /* the C cross-validation picked */
    int folds;
    double cv_accuracy; /* out-of-fold, highest probability wins */
    double cv_auc;      /* two classes: class 0's; else the macro mean of
                           the one-vs-rest AUCs */
    double cv_logloss;
    /* Two classes: the lowest threshold on out-of-fold P(class 0) whose
     * precision reached precision_target, and the precision and recall
     * there; NAN when no threshold did (or with more classes). */
    double precision_target, threshold, threshold_precision, threshold_recall;
} probe_fit;

/* x: [n][dims] embeddings; y[i] in 0..n_classes-1 (2..PROBE_MAX_CLASSES).
 * Refuses (VLM_EINVAL) fewer than PROBE_MIN_PER_CLASS examples of any
 * class.  Free *out with
 * probe_fit_free. */
int probe_fit_train(const float *x, const int *y, int64_t n, int dims,
                    int n_classes, const probe_fit_options *o, probe_fit *out,
                    char *err);
void probe_fit_free(probe_fit *f);

/* The probabilities of the rule above for one embedding e: probs[K]. */
void probe_linear_probs(const float *weights, const double *bias, int n_classes,
                        int dims, const float *e, double *probs);

/* The logistic function, without overflow for any finite z. */
double probe_sigmoid(double z);

#endif
